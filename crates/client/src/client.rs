use std::fmt;
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Response, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::builder::ClientBuilder;
use crate::error::{ClientError, error_from_body};
use crate::link;
use crate::retry::RetryPolicy;
use crate::types::{Page, Question, QuestionId};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub(crate) const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
const ACCEPTED_TYPES: &str = "application/json, application/problem+json";

/// The default time one attempt may take, from sending the request to the end of the answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default time opening a connection may take.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A client of poll API v1.
///
/// Cheap to clone (the connection pool is shared); the `with_*` methods return such clones with
/// one setting changed, for one call or a group of calls.
///
/// ```no_run
/// use poll_client::{Client, NewQuestion, NewVote};
///
/// # async fn example() -> Result<(), poll_client::ClientError> {
/// let client = Client::new("http://poll-api.internal:8080")?;
/// let question = client
///     .create_question(&NewQuestion::new("Lunch?", "2026-12-01").with_choices(["Pizza", "Soup"]))
///     .await?;
/// let pizza = question.choices[0].id;
/// // With a key, a retried vote is answered from the first one and counted once.
/// let receipt = client.vote(question.id, &NewVote::new(pizza), Some("order-4711-vote")).await?;
/// assert!(!receipt.replayed);
/// let results = client.results(question.id).await?;
/// println!("{} votes", results.total_votes);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) http: reqwest::Client,
    pub(crate) base: Url,
    pub(crate) auth: Option<HeaderValue>,
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) request_id: Option<HeaderValue>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("auth", &self.auth.as_ref().map(|_| "Bearer [redacted]"))
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

/// One HTTP exchange to make, possibly more than once.
pub(crate) struct Call {
    method: Method,
    url: Url,
    body: Option<Vec<u8>>,
    pub(crate) idempotency_key: Option<HeaderValue>,
    pub(crate) retry: bool,
}

impl Call {
    /// A call; retried only for `GET` and `DELETE`.
    pub(crate) fn new(method: Method, url: Url) -> Self {
        let retry = method == Method::GET || method == Method::DELETE;
        Self {
            method,
            url,
            body: None,
            idempotency_key: None,
            retry,
        }
    }

    pub(crate) fn json(mut self, body: &impl Serialize) -> Result<Self, ClientError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| ClientError::InvalidInput(format!("body not serializable: {e}")))?;
        self.body = Some(bytes);
        Ok(self)
    }

    pub(crate) fn no_retry(mut self) -> Self {
        self.retry = false;
        self
    }
}

impl Client {
    /// A client of the service at `base_url` (`http://host:port`, or with a path prefix) with
    /// default settings.
    ///
    /// # Errors
    /// See [`ClientBuilder::build`].
    pub fn new(base_url: &str) -> Result<Self, ClientError> {
        Self::builder(base_url).build()
    }

    /// Settings for a client of the service at `base_url`.
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(base_url.into())
    }

    /// The service's base URL (always ending in `/`).
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// A clone that sends `X-Request-Id: <id>` with each request, so the service's logs and
    /// answers carry the caller's id (for example the id of the request being served).
    ///
    /// ```no_run
    /// # async fn example(client: poll_client::Client) -> Result<(), poll_client::ClientError> {
    /// let question = client.with_request_id("checkout-7f3a9c")?.get_question(7).await?;
    /// # let _ = question;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`ClientError::InvalidInput`] unless `id` is 1 to 128 visible ASCII characters (what the
    /// service keeps; it replaces anything else with an id of its own).
    pub fn with_request_id(&self, id: &str) -> Result<Self, ClientError> {
        let value = visible_header(id, 128, "X-Request-Id")?;
        Ok(Self {
            request_id: Some(value),
            ..self.clone()
        })
    }

    /// A clone whose attempts may each take `timeout`.
    #[must_use]
    pub fn with_timeout(&self, timeout: Duration) -> Self {
        Self {
            timeout,
            ..self.clone()
        }
    }

    /// A clone with another retry policy.
    #[must_use]
    pub fn with_retry_policy(&self, retry: RetryPolicy) -> Self {
        Self {
            retry,
            ..self.clone()
        }
    }
}

impl Client {
    pub(crate) fn endpoint(&self, path: &str) -> Result<Url, ClientError> {
        self.base
            .join(path)
            .map_err(|e| ClientError::InvalidInput(format!("path {path:?}: {e}")))
    }

    pub(crate) fn question_url(&self, id: QuestionId, rest: &str) -> Result<Url, ClientError> {
        self.endpoint(&format!("polls/questions/{id}/{rest}"))
    }

    pub(crate) async fn page(&self, url: Url) -> Result<Page<Question>, ClientError> {
        let response = self.send(&Call::new(Method::GET, url)).await?;
        let next = if response.status().is_success() {
            self.resolve_next(response.url(), response.headers())?
        } else {
            None
        };
        let items = self.json(response).await?;
        Ok(Page { items, next })
    }

    /// The `rel="next"` target resolved against the URL it came with; it must stay on the
    /// service's origin (the client would send its token there).
    pub(crate) fn resolve_next(
        &self,
        from: &Url,
        headers: &HeaderMap,
    ) -> Result<Option<Url>, ClientError> {
        let Some(target) = link::next_target(headers).map_err(ClientError::InvalidResponse)? else {
            return Ok(None);
        };
        let next = from
            .join(&target)
            .map_err(|e| ClientError::InvalidResponse(format!("next link {target:?}: {e}")))?;
        if next.origin() != self.base.origin() {
            return Err(ClientError::InvalidResponse(format!(
                "next link {next} leaves the service's origin"
            )));
        }
        Ok(Some(next))
    }

    /// Sends a call, again while the policy allows and the failure is one a repeat may cure.
    pub(crate) async fn send(&self, call: &Call) -> Result<Response, ClientError> {
        let attempts = if call.retry {
            self.retry.max_attempts()
        } else {
            1
        };
        let mut attempt = 1;
        loop {
            let outcome = self.request(call).send().await;
            let wait = if attempt >= attempts {
                None
            } else {
                match &outcome {
                    Ok(response) if response.status() == StatusCode::SERVICE_UNAVAILABLE => self
                        .retry
                        .delay_for_unavailable(attempt, response.headers()),
                    Err(error) if error.is_connect() => Some(self.retry.backoff_delay(attempt)),
                    _ => None,
                }
            };
            match wait {
                Some(delay) => {
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                None => return outcome.map_err(|e| self.transport_error(e)),
            }
        }
    }

    pub(crate) fn request(&self, call: &Call) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .request(call.method.clone(), call.url.clone())
            .timeout(self.timeout)
            .header(ACCEPT, ACCEPTED_TYPES);
        if let Some(auth) = &self.auth {
            request = request.header(AUTHORIZATION, auth.clone());
        }
        if let Some(id) = &self.request_id {
            request = request.header(REQUEST_ID, id.clone());
        }
        if let Some(key) = &call.idempotency_key {
            request = request.header(IDEMPOTENCY_KEY, key.clone());
        }
        if let Some(body) = &call.body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        request
    }

    pub(crate) fn transport_error(&self, error: reqwest::Error) -> ClientError {
        if error.is_timeout() && !error.is_connect() {
            ClientError::Timeout {
                after: self.timeout,
            }
        } else {
            ClientError::Transport(error)
        }
    }

    /// The body of a success answer as `T`, or the error an error answer stands for.
    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        response: Response,
    ) -> Result<T, ClientError> {
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(e))?;
        if !status.is_success() {
            return Err(error_from_body(status.as_u16(), &body));
        }
        serde_json::from_slice(&body).map_err(|source| ClientError::Decode {
            status: status.as_u16(),
            source,
        })
    }

    /// A success answer whose body does not matter, or the error an error answer stands for.
    pub(crate) async fn empty(&self, response: Response) -> Result<(), ClientError> {
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(e))?;
        if status.is_success() {
            Ok(())
        } else {
            Err(error_from_body(status.as_u16(), &body))
        }
    }
}

/// A header value of 1 to `max` visible ASCII characters (0x21 to 0x7E).
pub(crate) fn visible_header(
    value: &str,
    max: usize,
    name: &str,
) -> Result<HeaderValue, ClientError> {
    let valid =
        (1..=max).contains(&value.len()) && value.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if !valid {
        return Err(ClientError::InvalidInput(format!(
            "{name} must be 1 to {max} visible ASCII characters"
        )));
    }
    HeaderValue::from_str(value)
        .map_err(|_| ClientError::InvalidInput(format!("{name} is not a valid header value")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test builds carry the pact crates, which turn on reqwest's `rustls-no-provider`.
    fn new_client(base: &str) -> Result<Client, ClientError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Client::new(base)
    }

    #[test]
    fn base_urls_get_a_trailing_slash_and_keep_their_prefix() {
        let client = new_client("http://127.0.0.1:8080").expect("client");
        assert_eq!(client.base_url().as_str(), "http://127.0.0.1:8080/");
        let prefixed = new_client("http://gw.internal/poll-api?x=1").expect("client");
        assert_eq!(
            prefixed.question_url(7, "votes/").expect("url").as_str(),
            "http://gw.internal/poll-api/polls/questions/7/votes/"
        );
    }

    #[test]
    fn bad_base_urls_are_refused() {
        for bad in ["", "poll-api:8080", "ftp://host/", "mailto:x@y"] {
            assert!(
                matches!(new_client(bad), Err(ClientError::InvalidInput(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let builder = Client::builder("http://localhost").bearer_token("s3cret-token");
        assert!(!format!("{builder:?}").contains("s3cret"));
        let client = builder.build().expect("client");
        assert!(!format!("{client:?}").contains("s3cret"));
    }

    #[test]
    fn request_ids_and_keys_must_be_visible_ascii() {
        let client = new_client("http://localhost").expect("client");
        assert!(client.with_request_id("abc-123").is_ok());
        assert!(client.with_request_id("").is_err());
        assert!(client.with_request_id("has space").is_err());
        assert!(client.with_request_id(&"x".repeat(129)).is_err());
        assert!(visible_header(&"k".repeat(255), 255, "Idempotency-Key").is_ok());
        assert!(visible_header(&"k".repeat(256), 255, "Idempotency-Key").is_err());
        assert!(visible_header("clé", 255, "Idempotency-Key").is_err());
    }

    #[test]
    fn only_safe_calls_are_retried_by_default() {
        let url = Url::parse("http://localhost/").expect("url");
        assert!(Call::new(Method::GET, url.clone()).retry);
        assert!(Call::new(Method::DELETE, url.clone()).retry);
        assert!(!Call::new(Method::POST, url.clone()).retry);
        assert!(!Call::new(Method::PATCH, url.clone()).retry);
        assert!(!Call::new(Method::GET, url).no_retry().retry);
    }
}
