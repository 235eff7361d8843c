//! Parsing request bodies into named fields.
//!
//! A body that is not well-formed (JSON syntax, form encoding, UTF-8, or empty) is a 400; a
//! well-formed JSON body that is not an object is a 422 on the field `body`. Repeated names are
//! kept, so the validation can refuse them instead of silently taking one.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::problem::ApiError;

/// The named fields of a body, in the order sent, repeated names included.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawFields {
    entries: Vec<(String, Value)>,
}

impl RawFields {
    pub fn new(entries: Vec<(String, Value)>) -> Self {
        Self { entries }
    }

    pub fn into_entries(self) -> Vec<(String, Value)> {
        self.entries
    }
}

/// Parses a JSON body that must be an object.
pub fn json_object(bytes: &[u8]) -> Result<RawFields, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(
            "The request body is empty; it must be a JSON object.".to_owned(),
        ));
    }
    match serde_json::from_slice::<TopLevel>(bytes) {
        Ok(TopLevel::Object(entries)) => Ok(RawFields::new(entries)),
        Ok(TopLevel::Other(kind)) => Err(ApiError::invalid_field(
            "body",
            format_args!("must be a JSON object, got {kind}"),
        )),
        Err(error) => Err(ApiError::BadRequest(format!(
            "The request body is not well-formed JSON (line {}, column {}).",
            error.line(),
            error.column()
        ))),
    }
}

/// Parses an `application/x-www-form-urlencoded` body, strictly: UTF-8 and well-formed
/// percent escapes only.
pub fn form_fields(bytes: &[u8]) -> Result<RawFields, ApiError> {
    let malformed = |why: &str| ApiError::BadRequest(format!("The form body is malformed: {why}."));
    let text = std::str::from_utf8(bytes).map_err(|_| malformed("it is not UTF-8"))?;
    if text.trim().is_empty() {
        return Err(ApiError::BadRequest(
            "The request body is empty.".to_owned(),
        ));
    }
    let mut entries = Vec::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name =
            percent_decode(name).ok_or_else(|| malformed("a name has a bad percent escape"))?;
        let value =
            percent_decode(value).ok_or_else(|| malformed("a value has a bad percent escape"))?;
        entries.push((name, Value::String(value)));
    }
    Ok(RawFields::new(entries))
}

/// Decodes `+` and `%XX`; `None` for a bad escape or bytes that are not UTF-8.
pub(crate) fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let high = hex(*bytes.get(i + 1)?)?;
                let low = hex(*bytes.get(i + 2)?)?;
                out.push(high << 4 | low);
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn hex(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// A JSON document's top level: an object's entries, or the kind of anything else.
enum TopLevel {
    Object(Vec<(String, Value)>),
    Other(&'static str),
}

impl<'de> Deserialize<'de> for TopLevel {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TopLevelVisitor)
    }
}

struct TopLevelVisitor;

impl<'de> Visitor<'de> for TopLevelVisitor {
    type Value = TopLevel;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TopLevel, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            entries.push((key, value));
        }
        Ok(TopLevel::Object(entries))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TopLevel, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(TopLevel::Other("an array"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<TopLevel, E> {
        Ok(TopLevel::Other("null"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<TopLevel, E> {
        Ok(TopLevel::Other("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<TopLevel, E> {
        Ok(TopLevel::Other("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<TopLevel, E> {
        Ok(TopLevel::Other("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<TopLevel, E> {
        Ok(TopLevel::Other("a number"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<TopLevel, E> {
        Ok(TopLevel::Other("a string"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(result: &Result<RawFields, ApiError>) -> u16 {
        use actix_web::ResponseError as _;
        result
            .as_ref()
            .map_or_else(|e| e.status_code().as_u16(), |_| 200)
    }

    #[test]
    fn objects_keep_repeated_names() {
        let fields = json_object(br#"{"a": 1, "a": 2}"#).expect("object");
        let names: Vec<String> = fields.into_entries().into_iter().map(|(k, _)| k).collect();
        assert_eq!(names, ["a", "a"]);
    }

    #[test]
    fn malformed_or_empty_json_is_400_and_other_values_422() {
        for bad in [
            &b""[..],
            b"  ",
            b"{",
            b"{\"a\":}",
            b"{} {}",
            b"\xff",
            b"nul",
        ] {
            assert_eq!(status(&json_object(bad)), 400, "{bad:?}");
        }
        for other in [
            &b"[]"[..],
            b"[1, {}]",
            b"null",
            b"true",
            b"3",
            b"-1.5",
            b"\"x\"",
        ] {
            assert_eq!(status(&json_object(other)), 422, "{other:?}");
        }
    }

    #[test]
    fn forms_decode_strictly() {
        let fields =
            form_fields(b"question_text=What%27s+up%3F&pub_date=2019-10-20&").expect("form");
        assert_eq!(
            fields.into_entries(),
            vec![
                (
                    "question_text".to_owned(),
                    Value::String("What's up?".to_owned())
                ),
                (
                    "pub_date".to_owned(),
                    Value::String("2019-10-20".to_owned())
                ),
            ]
        );
        for bad in [&b""[..], b"a=%zz", b"a=%4", b"a=%ff", b"\xff=1"] {
            assert_eq!(status(&form_fields(bad)), 400, "{bad:?}");
        }
    }
}
