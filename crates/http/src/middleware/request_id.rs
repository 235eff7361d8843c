//! The request id: the caller's `X-Request-Id` when well-formed, else a new one. The telemetry
//! middleware assigns it, puts it on the response, the span and the log line.

use actix_web::http::header::{HeaderName, HeaderValue};
use uuid::Uuid;

/// The request id header.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest caller-given request id that is kept.
const MAX_LEN: usize = 128;

/// The id of the request being served (in the request's extensions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// The caller's id when it is 1 to 128 visible ASCII characters, else a new UUID v4.
pub(crate) fn choose_id(given: Option<&HeaderValue>) -> String {
    given
        .map(HeaderValue::as_bytes)
        .filter(|v| (1..=MAX_LEN).contains(&v.len()) && v.iter().all(u8::is_ascii_graphic))
        .and_then(|v| std::str::from_utf8(v).ok())
        .map_or_else(|| Uuid::new_v4().to_string(), str::to_owned)
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
