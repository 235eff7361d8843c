use std::fmt;

use time::{Date, Month};

use crate::DateError;

/// The publication date of a question: a real calendar date from 0001-01-01 to 9999-12-31.
///
/// The range is the one both `YYYY-MM-DD` and PostgreSQL's `date` can hold exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PubDate(Date);

impl PubDate {
    /// Parses exactly `YYYY-MM-DD` (four-digit year, two-digit month and day).
    pub fn parse(text: &str) -> Result<Self, DateError> {
        let bytes = text.as_bytes();
        let well_formed = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !well_formed {
            return Err(DateError::Format);
        }
        let number = |range: std::ops::Range<usize>| {
            text[range].parse::<u16>().map_err(|_| DateError::Format)
        };
        let year = number(0..4)?;
        let month = u8::try_from(number(5..7)?).map_err(|_| DateError::NotACalendarDate)?;
        let day = u8::try_from(number(8..10)?).map_err(|_| DateError::NotACalendarDate)?;
        Self::from_parts(i32::from(year), month, day)
    }

    /// Builds a date from its parts, refusing impossible dates such as February 30th.
    pub fn from_parts(year: i32, month: u8, day: u8) -> Result<Self, DateError> {
        if !(1..=9999).contains(&year) {
            return Err(DateError::NotACalendarDate);
        }
        let month = Month::try_from(month).map_err(|_| DateError::NotACalendarDate)?;
        Date::from_calendar_date(year, month, day)
            .map(Self)
            .map_err(|_| DateError::NotACalendarDate)
    }

    /// Wraps a date read back from storage, refusing one outside the supported range.
    pub fn from_date(date: Date) -> Result<Self, DateError> {
        Self::from_parts(date.year(), u8::from(date.month()), date.day())
    }

    pub fn date(self) -> Date {
        self.0
    }
}

impl fmt::Display for PubDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let date = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        )
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn parses_real_dates() {
        assert_eq!(
            PubDate::parse("2019-10-20").map(|d| d.to_string()),
            Ok("2019-10-20".to_owned())
        );
        assert!(PubDate::parse("2024-02-29").is_ok());
        assert!(PubDate::parse("0001-01-01").is_ok());
        assert!(PubDate::parse("9999-12-31").is_ok());
    }

    #[test]
    fn refuses_impossible_dates() {
        for bad in [
            "2023-02-29",
            "2019-13-01",
            "2019-00-10",
            "2019-04-31",
            "0000-01-01",
            "2019-10-00",
        ] {
            assert_eq!(
                PubDate::parse(bad),
                Err(DateError::NotACalendarDate),
                "{bad}"
            );
        }
    }

    #[test]
    fn refuses_other_formats() {
        for bad in [
            "2019-1-20",
            "20191020",
            "2019/10/20",
            "2019-10-20T00:00:00Z",
            "",
            " 2019-10-20",
            "２019-10-20",
            "+019-10-20",
        ] {
            assert_eq!(PubDate::parse(bad), Err(DateError::Format), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn display_round_trips(year in 1i32..=9999, month in 1u8..=12, day in 1u8..=28) {
            let date = PubDate::from_parts(year, month, day).expect("valid by construction");
            prop_assert_eq!(PubDate::parse(&date.to_string()), Ok(date));
        }

        #[test]
        fn never_panics_on_any_input(raw in "\\PC{0,12}") {
            let _ = PubDate::parse(&raw);
        }
    }
}
