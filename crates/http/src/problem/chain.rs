//! An error with its causes, on one line, for the log.

use std::error::Error as StdError;
use std::fmt::{self, Write as _};

/// Formats an error with every cause below it, for the log.
pub(super) struct ErrorChain<'a>(pub(super) &'a (dyn StdError + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut current = self.0.source();
        while let Some(cause) = current {
            f.write_str(": ")?;
            write!(f, "{cause}")?;
            current = cause.source();
        }
        Ok(())
    }
}

/// The chain of an error as one line (used by tests and the log).
pub fn error_chain(error: &(dyn StdError + 'static)) -> String {
    let mut out = String::new();
    let _ = write!(out, "{}", ErrorChain(error));
    out
}
