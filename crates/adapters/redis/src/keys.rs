//! Key names: everything of an environment lives under its prefix.
use poll_domain::QuestionId;

/// `<prefix>question:<id>`: the entry of one question's detail.
pub(crate) fn question_key(prefix: &str, id: QuestionId) -> String {
    format!("{prefix}question:{id}")
}

/// A `SCAN MATCH` pattern for every key that starts with `prefix`, and nothing else.
///
/// Glob metacharacters in the prefix are escaped so they match only themselves.
pub(crate) fn prefix_pattern(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 2);
    for c in prefix.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\' | '^' | '-') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('*');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_keys_sit_under_the_prefix() {
        let id = QuestionId::new(42).expect("valid");
        assert_eq!(
            question_key("poll:env_uat_1:", id),
            "poll:env_uat_1:question:42"
        );
    }

    #[test]
    fn plain_prefixes_are_kept() {
        assert_eq!(prefix_pattern("poll:env_uat_4c81:"), "poll:env_uat_4c81:*");
    }

    #[test]
    fn glob_metacharacters_are_escaped() {
        assert_eq!(
            prefix_pattern("a*b?c[d]e\\f^g-h:"),
            "a\\*b\\?c\\[d\\]e\\\\f\\^g\\-h:*"
        );
    }
}
