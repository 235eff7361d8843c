use std::fmt;

use crate::TextError;

/// The most characters (Unicode scalar values) a question or choice text may have.
pub const MAX_TEXT_CHARS: usize = 200;

/// Trims surrounding Unicode `White_Space`, then checks 1..=200 scalar values without `Cc`.
///
/// Format characters (`Cf`, e.g. zero-width joiners in emoji) are allowed on purpose.
fn validate_text(raw: &str) -> Result<String, TextError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(TextError::Empty);
    }
    let actual = trimmed.chars().count();
    if actual > MAX_TEXT_CHARS {
        return Err(TextError::TooLong {
            max: MAX_TEXT_CHARS,
            actual,
        });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(TextError::ControlCharacter);
    }
    Ok(trimmed.to_owned())
}

macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// Validates and normalises (trims) a raw text.
            pub fn parse(raw: &str) -> Result<Self, TextError> {
                validate_text(raw).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

bounded_text!(
    /// The text of a question, trimmed, 1 to 200 characters, no control character.
    QuestionText
);
bounded_text!(
    /// The text of a choice, trimmed, 1 to 200 characters, no control character.
    ChoiceText
);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn trims_unicode_white_space() {
        let text =
            QuestionText::parse("\u{3000}\u{a0} What's up?\n\t").map(QuestionText::into_string);
        assert_eq!(text, Ok("What's up?".to_owned()));
    }

    #[test]
    fn refuses_empty_and_blank() {
        assert_eq!(ChoiceText::parse(""), Err(TextError::Empty));
        assert_eq!(ChoiceText::parse(" \u{2003}\n"), Err(TextError::Empty));
    }

    #[test]
    fn counts_scalar_values_not_bytes() {
        let two_hundred = "é".repeat(200);
        assert!(ChoiceText::parse(&two_hundred).is_ok());
        let too_many = "é".repeat(201);
        assert_eq!(
            ChoiceText::parse(&too_many),
            Err(TextError::TooLong {
                max: 200,
                actual: 201
            })
        );
    }

    #[test]
    fn refuses_control_characters_inside() {
        assert_eq!(
            QuestionText::parse("a\u{0}b"),
            Err(TextError::ControlCharacter)
        );
        assert_eq!(
            QuestionText::parse("a\nb"),
            Err(TextError::ControlCharacter)
        );
        assert_eq!(
            QuestionText::parse("a\u{85}b"),
            Err(TextError::ControlCharacter)
        );
    }

    #[test]
    fn allows_format_characters() {
        assert!(QuestionText::parse("👩\u{200d}💻 \u{200b}x").is_ok());
    }

    proptest! {
        #[test]
        fn accepted_text_is_trimmed_bounded_and_clean(raw in "\\PC{0,250}") {
            if let Ok(text) = QuestionText::parse(&raw) {
                let s = text.as_str();
                prop_assert_eq!(s, s.trim());
                prop_assert!((1..=MAX_TEXT_CHARS).contains(&s.chars().count()));
                prop_assert!(!s.chars().any(char::is_control));
            }
        }

        #[test]
        fn any_clean_text_within_bounds_is_accepted(raw in "[^\\p{Cc}\\s][^\\p{Cc}]{0,198}[^\\p{Cc}\\s]") {
            prop_assert!(ChoiceText::parse(&raw).is_ok());
        }

        #[test]
        fn parsing_is_idempotent(raw in "\\PC{0,50}") {
            if let Ok(text) = ChoiceText::parse(&raw) {
                prop_assert_eq!(ChoiceText::parse(text.as_str()), Ok(text));
            }
        }
    }
}
