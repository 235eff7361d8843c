use std::fmt;

use crate::IdError;

macro_rules! positive_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(i64);

        impl $name {
            /// Accepts 1 to 2^63-1.
            pub fn new(value: i64) -> Result<Self, IdError> {
                if value >= 1 { Ok(Self(value)) } else { Err(IdError::OutOfRange) }
            }

            /// Parses the canonical decimal form (`[1-9][0-9]*`), as found in a path.
            ///
            /// Signs, leading zeros and white space are refused so that one id has one spelling.
            pub fn parse(text: &str) -> Result<Self, IdError> {
                parse_positive(text).map(Self)
            }

            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl TryFrom<i64> for $name {
            type Error = IdError;
            fn try_from(value: i64) -> Result<Self, IdError> {
                Self::new(value)
            }
        }
    };
}

positive_id!(
    /// The id of a question: a positive signed 64-bit integer.
    QuestionId
);
positive_id!(
    /// The id of a choice: a positive signed 64-bit integer.
    ChoiceId
);

fn parse_positive(text: &str) -> Result<i64, IdError> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return Err(IdError::NotAnInteger);
    }
    if bytes[0] == b'0' {
        return Err(IdError::OutOfRange);
    }
    text.parse::<i64>().map_err(|_| IdError::OutOfRange)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_whole_positive_range() {
        assert_eq!(QuestionId::parse("1").map(QuestionId::get), Ok(1));
        assert_eq!(
            QuestionId::parse("9223372036854775807").map(QuestionId::get),
            Ok(i64::MAX)
        );
    }

    #[test]
    fn refuses_what_is_not_a_positive_id() {
        for bad in [
            "",
            "abc",
            "0",
            "-1",
            "+1",
            "01",
            " 1",
            "1.0",
            "9223372036854775808",
        ] {
            assert!(ChoiceId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn new_refuses_zero_and_negatives() {
        assert_eq!(QuestionId::new(0), Err(IdError::OutOfRange));
        assert_eq!(QuestionId::new(-5), Err(IdError::OutOfRange));
    }
}
