use std::fmt;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::HeaderValue;

use crate::client::{Client, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT};
use crate::error::ClientError;
use crate::retry::RetryPolicy;

/// Settings of a [`Client`]; made by [`Client::builder`].
///
/// ```no_run
/// use std::time::Duration;
/// use poll_client::{Client, RetryPolicy};
///
/// # fn example() -> Result<(), poll_client::ClientError> {
/// let client = Client::builder("http://poll-api.internal:8080")
///     .bearer_token(std::env::var("POLL_API_TOKEN").unwrap_or_default())
///     .timeout(Duration::from_secs(3))
///     .retry_policy(RetryPolicy::new(4))
///     .build()?;
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
pub struct ClientBuilder {
    base_url: String,
    token: Option<String>,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    user_agent: String,
    http: Option<reqwest::Client>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Sends `Authorization: Bearer <token>` with every request. An empty token sends none.
    #[must_use]
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.token = (!token.is_empty()).then_some(token);
        self
    }

    /// The time one attempt may take, from sending to the end of the answer (default 10 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The time opening a connection may take (default 2 s). Ignored with
    /// [`http_client`](Self::http_client).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// When calls that are safe to repeat are retried (default [`RetryPolicy::default`]).
    #[must_use]
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The `User-Agent` (default `poll-client/<version>`). Ignored with
    /// [`http_client`](Self::http_client).
    #[must_use]
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Uses this reqwest client (for its TLS, proxy or pool settings) instead of building one.
    /// It should not follow redirects: the service never sends any.
    #[must_use]
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The client.
    ///
    /// # Errors
    /// [`ClientError::InvalidInput`] for a base URL that is not an absolute `http`/`https` URL
    /// or a token that cannot be sent in a header; [`ClientError::Transport`] when reqwest
    /// cannot set up its client.
    pub fn build(self) -> Result<Client, ClientError> {
        let base = base_url(&self.base_url)?;
        let auth = match self.token {
            Some(token) => {
                let mut value =
                    HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                        ClientError::InvalidInput(
                            "the bearer token is not visible ASCII".to_owned(),
                        )
                    })?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        #[cfg(feature = "rustls")]
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            // Fails only when another thread installed one first, which is as good.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout)
                .user_agent(self.user_agent)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(ClientError::Transport)?,
        };
        Ok(Client {
            http,
            base,
            auth,
            timeout: self.timeout,
            retry: self.retry,
            request_id: None,
        })
    }
}

/// The base URL, with a trailing slash so that endpoint paths are appended to it.
pub(crate) fn base_url(text: &str) -> Result<Url, ClientError> {
    let invalid = |why: &str| ClientError::InvalidInput(format!("base URL {text:?}: {why}"));
    let mut base = Url::parse(text).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
        return Err(invalid("not an http or https URL"));
    }
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    base.set_query(None);
    base.set_fragment(None);
    Ok(base)
}

impl ClientBuilder {
    pub(crate) fn new(base_url: String) -> Self {
        Self {
            base_url,
            token: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry: RetryPolicy::default(),
            user_agent: concat!("poll-client/", env!("CARGO_PKG_VERSION")).to_owned(),
            http: None,
        }
    }
}
