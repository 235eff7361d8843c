//! The cached form of a [`QuestionDetail`]: compact JSON of a private DTO.
//!
//! The DTO is this crate's own, so the domain types need no serde, and it carries a format
//! number: an entry written in another shape (an older or newer release) decodes as an error,
//! which the caller reads as a miss. Every value is rebuilt through the domain constructors,
//! so an entry that was tampered with cannot smuggle an invalid value in.
use poll_domain::{
    Choice, ChoiceId, ChoiceText, PubDate, Question, QuestionDetail, QuestionId, QuestionText,
};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::OffsetDateTime;

/// Bump when the DTO changes shape; entries of another format are misses.
pub(crate) const FORMAT: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DetailDto {
    /// Format of this entry.
    f: u32,
    version: i64,
    id: i64,
    text: String,
    pub_date: String,
    /// `created_at` as Unix seconds and nanoseconds: exact, and cheap to parse.
    created: (i64, u32),
    choices: Vec<ChoiceDto>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChoiceDto {
    id: i64,
    text: String,
    votes: i64,
}

/// Why a cached entry could not be read back.
#[derive(Debug, Error)]
pub(crate) enum DecodeError {
    #[error("not a cache entry")]
    Json(#[from] serde_json::Error),
    #[error("cache entry of format {found}, expected {FORMAT}")]
    Format { found: u32 },
    #[error("cache entry holds an invalid {0}")]
    Invalid(&'static str),
}

pub(crate) fn encode(detail: &QuestionDetail) -> Result<String, serde_json::Error> {
    let question = &detail.question;
    let created = question.created_at;
    let dto = DetailDto {
        f: FORMAT,
        version: detail.version,
        id: question.id.get(),
        text: question.text.as_str().to_owned(),
        pub_date: question.pub_date.to_string(),
        created: (created.unix_timestamp(), created.nanosecond()),
        choices: detail
            .choices
            .iter()
            .map(|c| ChoiceDto {
                id: c.id.get(),
                text: c.text.as_str().to_owned(),
                votes: c.votes,
            })
            .collect(),
    };
    serde_json::to_string(&dto)
}

pub(crate) fn decode(raw: &[u8]) -> Result<QuestionDetail, DecodeError> {
    let dto: DetailDto = serde_json::from_slice(raw)?;
    if dto.f != FORMAT {
        return Err(DecodeError::Format { found: dto.f });
    }
    let id = QuestionId::new(dto.id).map_err(|_| DecodeError::Invalid("question id"))?;
    let created = OffsetDateTime::from_unix_timestamp(dto.created.0)
        .ok()
        .and_then(|t| t.replace_nanosecond(dto.created.1).ok())
        .ok_or(DecodeError::Invalid("timestamp"))?;
    let question = Question {
        id,
        text: QuestionText::parse(&dto.text).map_err(|_| DecodeError::Invalid("question text"))?,
        pub_date: PubDate::parse(&dto.pub_date).map_err(|_| DecodeError::Invalid("date"))?,
        created_at: created,
    };
    let choices = dto
        .choices
        .into_iter()
        .map(|c| {
            Ok(Choice {
                id: ChoiceId::new(c.id).map_err(|_| DecodeError::Invalid("choice id"))?,
                question_id: id,
                text: ChoiceText::parse(&c.text)
                    .map_err(|_| DecodeError::Invalid("choice text"))?,
                votes: c.votes,
            })
        })
        .collect::<Result<Vec<_>, DecodeError>>()?;
    Ok(QuestionDetail {
        question,
        choices,
        version: dto.version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail() -> QuestionDetail {
        let id = QuestionId::new(7).expect("valid");
        QuestionDetail {
            question: Question {
                id,
                text: QuestionText::parse("Ça va ? 🚀 What's up?").expect("valid"),
                pub_date: PubDate::parse("2019-10-20").expect("valid"),
                created_at: OffsetDateTime::from_unix_timestamp_nanos(1_764_496_800_123_456_789)
                    .expect("valid"),
            },
            choices: vec![Choice {
                id: ChoiceId::new(3).expect("valid"),
                question_id: id,
                text: ChoiceText::parse("Not much, 漢字").expect("valid"),
                votes: 42,
            }],
            version: 9,
        }
    }

    #[test]
    fn round_trips_exactly() {
        let original = detail();
        let encoded = encode(&original).expect("encodes");
        assert!(!encoded.contains('\n'), "not compact: {encoded}");
        assert_eq!(decode(encoded.as_bytes()).expect("decodes"), original);
    }

    #[test]
    fn another_format_is_an_error() {
        let encoded = encode(&detail())
            .expect("encodes")
            .replacen("\"f\":1", "\"f\":2", 1);
        assert!(matches!(
            decode(encoded.as_bytes()),
            Err(DecodeError::Format { found: 2 })
        ));
    }

    #[test]
    fn garbage_and_unknown_shapes_are_errors() {
        for raw in [
            &b"not json"[..],
            b"{}",
            b"\xff\xfe",
            br#"{"f":1,"extra":true}"#,
        ] {
            assert!(decode(raw).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn invalid_values_are_refused() {
        let encoded = encode(&detail()).expect("encodes");
        for (from, to) in [
            ("\"id\":7", "\"id\":0"),
            ("2019-10-20", "2019-02-30"),
            ("\"votes\":42", "\"votes\":\"x\""),
        ] {
            let tampered = encoded.replacen(from, to, 1);
            assert!(decode(tampered.as_bytes()).is_err(), "{tampered}");
        }
    }
}
