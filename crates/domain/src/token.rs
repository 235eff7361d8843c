use std::fmt;

use crate::TokenError;

/// Checks 1..=`max` visible ASCII characters (0x21 to 0x7E).
fn validate_visible(raw: &str, max: usize) -> Result<(), TokenError> {
    if raw.is_empty() {
        return Err(TokenError::Empty);
    }
    if raw.len() > max {
        return Err(TokenError::TooLong { max });
    }
    if !raw.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(TokenError::InvalidCharacter);
    }
    Ok(())
}

macro_rules! visible_token {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub const MAX_LEN: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, TokenError> {
                validate_visible(raw, Self::MAX_LEN).map(|()| Self(raw.to_owned()))
            }

            pub fn as_str(&self) -> &str {
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

visible_token!(
    /// Who voted: 1 to 128 visible characters; a voter votes at most once per question.
    VoterId,
    128
);
visible_token!(
    /// A client's `Idempotency-Key`: 1 to 255 visible characters, scoped to a question's votes.
    IdempotencyKey,
    255
);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn bounds_are_inclusive() {
        assert!(VoterId::parse(&"v".repeat(128)).is_ok());
        assert_eq!(
            VoterId::parse(&"v".repeat(129)),
            Err(TokenError::TooLong { max: 128 })
        );
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        assert_eq!(
            IdempotencyKey::parse(&"k".repeat(256)),
            Err(TokenError::TooLong { max: 255 })
        );
    }

    #[test]
    fn refuses_space_controls_and_non_ascii() {
        for bad in ["a b", "a\tb", "é", "\u{7f}"] {
            assert_eq!(
                VoterId::parse(bad),
                Err(TokenError::InvalidCharacter),
                "{bad:?}"
            );
        }
        assert_eq!(IdempotencyKey::parse(""), Err(TokenError::Empty));
    }

    proptest! {
        #[test]
        fn accepts_exactly_visible_ascii(raw in "[\\x21-\\x7e]{1,128}") {
            prop_assert!(VoterId::parse(&raw).is_ok());
        }
    }
}
