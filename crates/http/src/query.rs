//! Query parameters of the question list.

use poll_domain::{Limit, PageRequest};

use crate::body::percent_decode;
use crate::problem::ApiError;

/// `limit` (1..=1000, default 100) and `after_id` (0 = from the start) from a query string.
///
/// Unknown parameters are ignored; a known one that is repeated, empty or not a decimal
/// integer in range is a 400.
pub fn page_request(query: &str) -> Result<PageRequest, ApiError> {
    let mut limit = None;
    let mut after = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match percent_decode(name).as_deref() {
            Some("limit") => &mut limit,
            Some("after_id") => &mut after,
            _ => continue,
        };
        if slot.is_some() {
            return Err(malformed(name, "is given more than once"));
        }
        let number = percent_decode(value)
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|v| v.parse::<i64>().ok());
        *slot =
            Some(number.ok_or_else(|| malformed(name, "must be a non-negative decimal integer"))?);
    }
    let limit = match limit {
        None => Limit::default(),
        Some(n) => Limit::new(n).ok_or_else(|| malformed("limit", "must be between 1 and 1000"))?,
    };
    let after = match after {
        None => None,
        Some(cursor) => {
            PageRequest::after_cursor(cursor).map_err(|e| malformed("after_id", &e.to_string()))?
        }
    };
    Ok(PageRequest { after, limit })
}

fn malformed(name: &str, why: &str) -> ApiError {
    ApiError::BadRequest(format!("The query parameter `{name}` {why}."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(query: &str) -> Option<(Option<i64>, u16)> {
        page_request(query)
            .ok()
            .map(|p| (p.after.map(poll_domain::QuestionId::get), p.limit.get()))
    }

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(page(""), Some((None, 100)));
        assert_eq!(page("limit=2&after_id=5&other=x"), Some((Some(5), 2)));
        assert_eq!(page("after_id=0&limit=1000"), Some((None, 1000)));
        assert_eq!(page("unknown=%zz"), Some((None, 100)));
    }

    #[test]
    fn malformed_parameters_are_refused() {
        for bad in [
            "limit=0",
            "limit=1001",
            "limit=abc",
            "limit=",
            "limit",
            "limit=-1",
            "limit=1.5",
            "after_id=-1",
            "after_id=abc",
            "after_id=9223372036854775808",
            "limit=1&limit=2",
            "limit=%zz",
        ] {
            assert!(page_request(bad).is_err(), "{bad}");
        }
    }
}
