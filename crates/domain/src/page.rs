use crate::{IdError, QuestionId};

/// How many questions one page of the list holds: 1 to 1000, 100 by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(u16);

impl Limit {
    pub const MAX: u16 = 1000;
    pub const DEFAULT: Self = Self(100);

    pub fn new(value: i64) -> Option<Self> {
        u16::try_from(value)
            .ok()
            .filter(|v| (1..=Self::MAX).contains(v))
            .map(Self)
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

impl Default for Limit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A page of the question list: questions with an id greater than `after` (keyset pagination).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PageRequest {
    pub after: Option<QuestionId>,
    pub limit: Limit,
}

impl PageRequest {
    /// A cursor of 0 means "from the start"; negative cursors are refused.
    pub fn after_cursor(cursor: i64) -> Result<Option<QuestionId>, IdError> {
        match cursor {
            0 => Ok(None),
            _ => QuestionId::new(cursor).map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_bounds() {
        assert_eq!(Limit::new(0), None);
        assert_eq!(Limit::new(1).map(Limit::get), Some(1));
        assert_eq!(Limit::new(1000).map(Limit::get), Some(1000));
        assert_eq!(Limit::new(1001), None);
        assert_eq!(Limit::new(-1), None);
        assert_eq!(Limit::default().get(), 100);
    }

    #[test]
    fn cursor_zero_starts_from_the_beginning() {
        assert_eq!(PageRequest::after_cursor(0), Ok(None));
        assert_eq!(
            PageRequest::after_cursor(5).map(|c| c.map(QuestionId::get)),
            Ok(Some(5))
        );
        assert!(PageRequest::after_cursor(-1).is_err());
    }
}
