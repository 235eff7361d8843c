//! `X-Request-Id` on every response, and a tracing span per request that carries it.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage as _};
use tracing::Instrument as _;
use uuid::Uuid;

/// The request id header.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest caller-given request id that is kept.
const MAX_LEN: usize = 128;

/// The id of the request being served (in the request's extensions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// The caller's id when it is 1 to 128 visible ASCII characters, else a new UUID v4.
fn choose_id(given: Option<&HeaderValue>) -> String {
    given
        .map(HeaderValue::as_bytes)
        .filter(|v| (1..=MAX_LEN).contains(&v.len()) && v.iter().all(u8::is_ascii_graphic))
        .and_then(|v| std::str::from_utf8(v).ok())
        .map_or_else(|| Uuid::new_v4().to_string(), str::to_owned)
}

/// Assigns the request id, runs the request in a span carrying it, stamps the response with it
/// (error answers included) and logs the outcome.
pub async fn assign_request_id(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = choose_id(request.headers().get(&REQUEST_ID));
    request.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!(
        "http_request",
        request_id = %id,
        http.request.method = %request.method(),
        url.path = %request.path(),
    );
    let started = Instant::now();
    // The services inside (auth, routing, handlers) turn every failure into a response, so an
    // `Err` cannot come back here; were one to, actix would answer it without the header.
    let mut response = next.call(request).instrument(span.clone()).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let route = response.request().match_pattern();
    tracing::info!(
        parent: &span,
        http.route = route.as_deref().unwrap_or("unmatched"),
        http.response.status_code = response.status().as_u16(),
        elapsed = ?started.elapsed(),
        "request completed"
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_well_formed_caller_ids_only() {
        let keep = HeaderValue::from_static("abc-123_~!");
        assert_eq!(choose_id(Some(&keep)), "abc-123_~!");
        let longest = "x".repeat(128);
        assert_eq!(
            choose_id(HeaderValue::from_str(&longest).ok().as_ref()),
            longest
        );
        for bad in ["", "a b", &"x".repeat(129)] {
            let value = HeaderValue::from_str(bad).expect("header");
            let chosen = choose_id(Some(&value));
            assert_ne!(chosen, bad);
            assert!(Uuid::parse_str(&chosen).is_ok());
        }
        assert!(Uuid::parse_str(&choose_id(None)).is_ok());
    }
}
