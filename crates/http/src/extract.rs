//! Reading requests: media types, bodies (with the size limit), path ids, query parameters
//! and headers. Every failure is an [`ApiError`], so it answers problem+json.

use actix_web::http::header::{self, HeaderMap};
use actix_web::web::{Bytes, BytesMut, Payload};
use actix_web::{HttpRequest, error::PayloadError};
use futures_util::StreamExt as _;
use poll_domain::{ChoiceId, IdError, IdempotencyKey, QuestionId};

use crate::body::{self, RawFields};
use crate::problem::ApiError;

/// The largest request body accepted, in bytes (16 KiB).
pub const BODY_LIMIT: usize = 16 * 1024;

/// The header carrying a client's idempotency key on votes.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The request media types the API takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Json,
    Form,
}

impl MediaType {
    fn essence(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Form => "application/x-www-form-urlencoded",
        }
    }
}

/// Which of `accepted` the request's `Content-Type` is; 415 when absent or anything else.
///
/// Parameters other than `charset` are ignored; a `charset` other than UTF-8 is refused.
pub fn media_type(headers: &HeaderMap, accepted: &[MediaType]) -> Result<MediaType, ApiError> {
    let takes = || {
        accepted
            .iter()
            .map(|m| m.essence())
            .collect::<Vec<_>>()
            .join(" or ")
    };
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err(ApiError::UnsupportedMediaType(format!(
            "The request has no Content-Type; this endpoint takes {}.",
            takes()
        )));
    };
    let refused =
        || ApiError::UnsupportedMediaType(format!("This endpoint takes {} (UTF-8).", takes()));
    let text = value.to_str().map_err(|_| refused())?;
    let mut parts = text.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    let found = accepted
        .iter()
        .copied()
        .find(|m| m.essence().eq_ignore_ascii_case(essence))
        .ok_or_else(refused)?;
    for parameter in parts {
        let (name, value) = parameter.split_once('=').unwrap_or((parameter, ""));
        if name.trim().eq_ignore_ascii_case("charset") {
            let value = value.trim().trim_matches('"');
            if !value.eq_ignore_ascii_case("utf-8") && !value.eq_ignore_ascii_case("utf8") {
                return Err(refused());
            }
        }
    }
    Ok(found)
}

/// Reads the whole body, refusing more than [`BODY_LIMIT`] bytes (by `Content-Length` up front,
/// and while reading, for chunked bodies).
pub async fn read_body(request: &HttpRequest, mut payload: Payload) -> Result<Bytes, ApiError> {
    let too_large = || ApiError::PayloadTooLarge { limit: BODY_LIMIT };
    if let Some(length) = request.headers().get(header::CONTENT_LENGTH) {
        let declared = length
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
            return Err(too_large());
        }
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| match error {
            PayloadError::Overflow => too_large(),
            other => ApiError::BadRequest(format!("The request body could not be read: {other}.")),
        })?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Reads a body of one of `accepted` media types and parses it into named fields.
pub async fn read_fields(
    request: &HttpRequest,
    payload: Payload,
    accepted: &[MediaType],
) -> Result<(MediaType, RawFields), ApiError> {
    let media = media_type(request.headers(), accepted)?;
    let bytes = read_body(request, payload).await?;
    let fields = match media {
        MediaType::Json => body::json_object(&bytes)?,
        MediaType::Form => body::form_fields(&bytes)?,
    };
    Ok((media, fields))
}

/// A question id from the path (400 unless a positive 64-bit integer in canonical form).
pub fn question_id(request: &HttpRequest) -> Result<QuestionId, ApiError> {
    let raw = path_segment(request, "id")?;
    QuestionId::parse(raw).map_err(|error| bad_id("question id", raw, &error))
}

/// A choice id from the path (400 unless a positive 64-bit integer in canonical form).
pub fn choice_id(request: &HttpRequest) -> Result<ChoiceId, ApiError> {
    let raw = path_segment(request, "choice_id")?;
    ChoiceId::parse(raw).map_err(|error| bad_id("choice id", raw, &error))
}

fn path_segment<'r>(request: &'r HttpRequest, name: &str) -> Result<&'r str, ApiError> {
    request
        .match_info()
        .get(name)
        .ok_or_else(|| ApiError::Internal(format!("route has no `{name}` segment").into()))
}

fn bad_id(what: &str, raw: &str, error: &IdError) -> ApiError {
    let shown: String = raw.chars().take(40).collect();
    ApiError::BadRequest(format!("The {what} {shown:?} in the path {error}."))
}

/// The optional `Idempotency-Key` header: 1 to 255 visible characters, sent at most once.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, ApiError> {
    let mut values = headers.get_all(IDEMPOTENCY_KEY);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let malformed = |why: &str| {
        ApiError::BadRequest(format!(
            "The Idempotency-Key header {why}; it must be 1 to 255 visible ASCII characters."
        ))
    };
    if values.next().is_some() {
        return Err(malformed("was sent more than once"));
    }
    let text = value.to_str().map_err(|_| malformed("is not ASCII"))?;
    IdempotencyKey::parse(text)
        .map(Some)
        .map_err(|error| malformed(&error.to_string()))
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;

    use super::*;

    fn with_type(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(value).expect("header"),
        );
        headers
    }

    #[test]
    fn json_with_a_utf8_charset_is_taken() {
        for value in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json;charset=\"UTF-8\"",
        ] {
            assert_eq!(
                media_type(&with_type(value), &[MediaType::Json]).ok(),
                Some(MediaType::Json),
                "{value}"
            );
        }
    }

    #[test]
    fn other_media_types_and_charsets_are_refused() {
        for value in [
            "text/plain",
            "multipart/form-data; boundary=x",
            "application/json; charset=latin1",
            "application/jsonx",
            "application/x-www-form-urlencoded",
        ] {
            assert!(
                media_type(&with_type(value), &[MediaType::Json]).is_err(),
                "{value}"
            );
        }
        assert!(media_type(&HeaderMap::new(), &[MediaType::Json]).is_err());
    }
}
