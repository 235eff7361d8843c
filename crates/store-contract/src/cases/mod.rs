//! The cases of the contract, one public async function each, grouped by topic.
//!
//! Every case takes a fresh, empty store of its own and panics, with a message saying what was
//! expected, when the store breaks the contract.

pub mod choices;
pub mod idempotency;
pub mod lifecycle;
pub mod questions;
pub mod votes;
