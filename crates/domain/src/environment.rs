use std::fmt;

use thiserror::Error;

/// Why an environment name was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EnvironmentError {
    #[error("the environment name must not be empty")]
    Empty,
    #[error("the environment name must be at most {max} bytes")]
    TooLong { max: usize },
}

/// A deployment environment (`uat`, `prod`, a branch name such as `feature/add-votes`).
///
/// One PostgreSQL server and one Redis serve many environments: each gets its own schema and
/// key prefix, both derived here from the name by a pure function. The derived identifier
/// is built only from `[a-z0-9_]` plus a hash of the exact name, so any name (quotes, semicolons,
/// unicode, 200 characters) is safe to quote into SQL, and two names that slug alike still differ.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Environment {
    name: String,
    identifier: String,
}

impl Environment {
    pub const MAX_NAME_LEN: usize = 255;
    /// Slug characters kept in the identifier; the rest of its 63 bytes are the prefix and hash.
    const SLUG_LEN: usize = 40;

    pub fn new(name: &str) -> Result<Self, EnvironmentError> {
        if name.is_empty() {
            return Err(EnvironmentError::Empty);
        }
        if name.len() > Self::MAX_NAME_LEN {
            return Err(EnvironmentError::TooLong {
                max: Self::MAX_NAME_LEN,
            });
        }
        let identifier = format!(
            "env_{}_{:016x}",
            slug(name, Self::SLUG_LEN),
            fnv1a64(name.as_bytes())
        );
        Ok(Self {
            name: name.to_owned(),
            identifier,
        })
    }

    /// The name as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The PostgreSQL schema of the environment: `env_<slug>_<hash>`, at most 61 bytes of
    /// `[a-z0-9_]`, always a valid unquoted identifier.
    pub fn schema(&self) -> &str {
        &self.identifier
    }

    /// The prefix of every Redis key of the environment.
    pub fn key_prefix(&self) -> String {
        format!("poll:{}:", self.identifier)
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// Lowercase ASCII letters and digits kept, every other run of characters folded into one `_`.
fn slug(name: &str, max: usize) -> String {
    let mut out = String::with_capacity(max);
    for c in name.chars() {
        if out.len() >= max {
            break;
        }
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_owned()
}

/// FNV-1a, 64 bits: stable across releases and platforms, unlike `std`'s hasher, so what is
/// derived from it (schema names, advisory-lock keys, migration checksums) never moves.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn branch_names_become_readable_schemas() {
        let env = Environment::new("feature/Add votes!").expect("valid");
        assert!(
            env.schema().starts_with("env_feature_add_votes_"),
            "{}",
            env.schema()
        );
        assert_eq!(env.key_prefix(), format!("poll:{}:", env.schema()));
    }

    #[test]
    fn names_that_slug_alike_stay_apart() {
        let a = Environment::new("feature/x").expect("valid");
        let b = Environment::new("feature-x").expect("valid");
        let c = Environment::new("Feature/X").expect("valid");
        assert_ne!(a.schema(), b.schema());
        assert_ne!(a.schema(), c.schema());
    }

    #[test]
    fn hostile_names_are_safe() {
        for name in [
            "'; DROP SCHEMA public; --",
            "\"quoted\"",
            "ünïcødé/🚀",
            &"x".repeat(200),
            "___",
            "-",
        ] {
            let env = Environment::new(name).expect("valid");
            assert!(
                env.schema()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            );
            assert!(env.schema().len() <= 63);
        }
    }

    #[test]
    fn refuses_empty_and_huge_names() {
        assert_eq!(Environment::new(""), Err(EnvironmentError::Empty));
        assert!(Environment::new(&"x".repeat(256)).is_err());
    }

    #[test]
    fn mapping_is_stable_across_releases() {
        // Changing the mapping would orphan every deployed environment's data.
        assert_eq!(
            Environment::new("uat").expect("valid").schema(),
            "env_uat_4c8195193df42915"
        );
    }

    proptest! {
        #[test]
        fn any_name_maps_to_a_valid_identifier(name in "\\PC{1,60}") {
            let env = Environment::new(&name).expect("valid");
            let schema = env.schema();
            prop_assert!(schema.len() <= 63);
            prop_assert!(schema.starts_with("env_"));
            prop_assert!(schema.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
        }
    }
}
