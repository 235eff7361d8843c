//! Just enough of RFC 8288 `Link` headers to find `rel="next"`.

use reqwest::header::{HeaderMap, LINK};

/// The target of the first link whose relation types include `next`, as written (unresolved).
pub(crate) fn next_target(headers: &HeaderMap) -> Result<Option<String>, String> {
    for value in headers.get_all(LINK) {
        let value = value
            .to_str()
            .map_err(|_| "a Link header is not visible ASCII".to_owned())?;
        for link in split_links(value) {
            let (target, params) = parse_link(link)?;
            if has_rel(params, "next") {
                return Ok(Some(target.to_owned()));
            }
        }
    }
    Ok(None)
}

/// Splits a header value at the commas that separate links (`,` followed by `<`).
fn split_links(value: &str) -> Vec<&str> {
    let mut links = Vec::new();
    let mut start = 0;
    let mut in_quotes = false;
    let mut in_target = false;
    for (i, c) in value.char_indices() {
        match c {
            '<' if !in_quotes => in_target = true,
            '>' if !in_quotes => in_target = false,
            '"' if !in_target => in_quotes = !in_quotes,
            ',' if !in_quotes && !in_target => {
                links.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    links.push(&value[start..]);
    links
        .into_iter()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

/// `<target>; params` into the target and the parameters' text.
fn parse_link(link: &str) -> Result<(&str, &str), String> {
    let rest = link
        .strip_prefix('<')
        .ok_or_else(|| format!("malformed Link value {link:?}"))?;
    let end = rest
        .find('>')
        .ok_or_else(|| format!("malformed Link value {link:?}"))?;
    Ok((&rest[..end], &rest[end + 1..]))
}

/// Whether the `rel` parameter (quoted or not, space-separated types) contains `relation`.
fn has_rel(params: &str, relation: &str) -> bool {
    params.split(';').any(|param| {
        let Some((name, value)) = param.split_once('=') else {
            return false;
        };
        name.trim().eq_ignore_ascii_case("rel")
            && value
                .trim()
                .trim_matches('"')
                .split_ascii_whitespace()
                .any(|r| r.eq_ignore_ascii_case(relation))
    })
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(LINK, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn finds_the_contracts_next_link() {
        let found = next_target(&headers(&[
            r#"</polls/questions/?after_id=2&limit=2>; rel="next""#,
        ]));
        assert_eq!(
            found,
            Ok(Some("/polls/questions/?after_id=2&limit=2".to_owned()))
        );
    }

    #[test]
    fn finds_next_among_other_links_and_forms() {
        let many = r#"</a?x=1,2>; rel="prev", </b>; title="a, b"; rel="last next""#;
        assert_eq!(next_target(&headers(&[many])), Ok(Some("/b".to_owned())));
        assert_eq!(
            next_target(&headers(&["</first>; rel=first", "</n>; REL=next"])),
            Ok(Some("/n".to_owned()))
        );
    }

    #[test]
    fn no_next_link_means_the_last_page() {
        assert_eq!(next_target(&HeaderMap::new()), Ok(None));
        assert_eq!(next_target(&headers(&[r#"</p>; rel="prev""#])), Ok(None));
    }

    #[test]
    fn malformed_links_are_reported() {
        assert!(next_target(&headers(&[r#"/p; rel="next""#])).is_err());
        assert!(next_target(&headers(&[r#"</p; rel="next""#])).is_err());
    }
}
