//! Field-by-field validation of a request body, collecting every invalid field.

use std::collections::HashSet;

use poll_domain::{ChoiceText, PubDate, QuestionText, VoterId};
use serde_json::Value;

use crate::body::RawFields;
use crate::problem::{ApiError, FieldError};

/// Reads the fields of a body, recording each problem instead of stopping at the first.
#[derive(Debug)]
pub(crate) struct FieldReader {
    entries: Vec<(String, Value)>,
    errors: Vec<FieldError>,
}

impl FieldReader {
    /// Takes the fields, recording names not in `known` (which are then dropped) and names
    /// given more than once.
    pub(crate) fn new(raw: RawFields, known: &[&str]) -> Self {
        let mut entries = raw.into_entries();
        let mut errors = Vec::new();
        let mut seen = HashSet::new();
        let mut reported = HashSet::new();
        for (name, _) in &entries {
            let first = seen.insert(name.as_str());
            if !known.contains(&name.as_str()) {
                if first {
                    errors.push(FieldError::new(name.as_str(), "is not a known field"));
                }
            } else if !first && reported.insert(name.as_str()) {
                errors.push(FieldError::new(name.as_str(), "must be given only once"));
            }
        }
        entries.retain(|(name, _)| known.contains(&name.as_str()));
        Self { entries, errors }
    }

    /// Whether the body names this (known) field, whatever its value.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.entries.iter().any(|(n, _)| n == name)
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        let index = self.entries.iter().position(|(n, _)| n == name)?;
        Some(self.entries.swap_remove(index).1)
    }

    /// A field that must be present (and not null).
    pub(crate) fn required<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(Value) -> Result<T, String>,
    ) -> Option<T> {
        match self.take(name) {
            None => {
                self.report(name, "is required");
                None
            }
            Some(Value::Null) => {
                self.report(name, "is required and must not be null");
                None
            }
            Some(value) => self.check(name, parse(value)),
        }
    }

    /// A field that may be absent; `null` counts as absent.
    pub(crate) fn optional<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(Value) -> Result<T, String>,
    ) -> Option<T> {
        match self.take(name) {
            None | Some(Value::Null) => None,
            Some(value) => self.check(name, parse(value)),
        }
    }

    /// A field that may be absent but, when present, must have a value (`null` is refused:
    /// it cannot clear a field).
    pub(crate) fn optional_not_null<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(Value) -> Result<T, String>,
    ) -> Option<T> {
        match self.take(name) {
            None => None,
            Some(value) => self.check(name, parse(value)),
        }
    }

    fn check<T>(&mut self, name: &str, result: Result<T, String>) -> Option<T> {
        result.map_err(|message| self.report(name, message)).ok()
    }

    pub(crate) fn report(&mut self, field: &str, message: impl std::fmt::Display) {
        self.errors.push(FieldError::new(field, message));
    }

    pub(crate) fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// The 422 listing every invalid field.
    pub(crate) fn into_error(self) -> ApiError {
        if self.errors.is_empty() {
            // Only reachable if a caller forgot to report; still answer a sensible 422.
            return ApiError::invalid_field("body", "is invalid");
        }
        ApiError::Invalid(self.errors)
    }
}

/// How a JSON value's kind is named in messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn string(value: Value) -> Result<String, String> {
    match value {
        Value::String(text) => Ok(text),
        other => Err(format!("must be a string, got {}", kind(&other))),
    }
}

pub(crate) fn question_text(value: Value) -> Result<QuestionText, String> {
    QuestionText::parse(&string(value)?).map_err(|e| e.to_string())
}

pub(crate) fn choice_text(value: Value) -> Result<ChoiceText, String> {
    ChoiceText::parse(&string(value)?).map_err(|e| e.to_string())
}

pub(crate) fn pub_date(value: Value) -> Result<PubDate, String> {
    PubDate::parse(&string(value)?).map_err(|e| e.to_string())
}

pub(crate) fn voter_id(value: Value) -> Result<VoterId, String> {
    VoterId::parse(&string(value)?).map_err(|e| e.to_string())
}

/// A positive signed 64-bit integer given as a JSON number without fraction or exponent.
pub(crate) fn positive_id(value: &Value) -> Result<i64, String> {
    const RANGE: &str = "must be an integer between 1 and 9223372036854775807";
    match value {
        Value::Number(number) => match (number.as_i64(), number.is_u64()) {
            (Some(id), _) if id >= 1 => Ok(id),
            (Some(_), _) | (None, true) => Err(RANGE.to_owned()),
            (None, false) => Err(format!("{RANGE}, got a fractional number")),
        },
        other => Err(format!("{RANGE}, got {}", kind(other))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn ids_must_be_positive_integers() {
        assert_eq!(positive_id(&json!(3)), Ok(3));
        assert_eq!(positive_id(&json!(i64::MAX)), Ok(i64::MAX));
        for bad in [
            json!(0),
            json!(-1),
            json!(9_223_372_036_854_775_808_u64),
            json!(1.5),
            json!("3"),
            json!(null),
        ] {
            assert!(positive_id(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_and_repeated_fields_are_reported_once_each() {
        let raw = RawFields::new(vec![
            ("a".to_owned(), json!(1)),
            ("a".to_owned(), json!(2)),
            ("x".to_owned(), json!(1)),
            ("x".to_owned(), json!(1)),
            ("a".to_owned(), json!(3)),
        ]);
        let reader = FieldReader::new(raw, &["a"]);
        let fields: Vec<_> = reader.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["a", "x"]);
    }
}
