//! One contract suite for the [`PollStore`](poll_ports::PollStore) port, run against every
//! implementation (the memory store, the PostgreSQL store).
//!
//! The suite is the executable form of the port's rustdoc: every situation for which a method's
//! documentation says what it MUST return has a case here, including the concurrent ones
//! (the 20-choice limit and exactly-once counting under parallel calls).
//!
//! ```text
//! // In an adapter's tests/contract.rs:
//! poll_store_contract::store_contract_tests!(async { poll_memory::MemoryStore::new() });
//!
//! // With a clean-up after each case (an `async fn(Arc<S>)`):
//! poll_store_contract::store_contract_tests!(fresh_store(), teardown = drop_store);
//! ```
//!
//! The macro expands into one `#[tokio::test]` per case, named after it, on a multi-threaded
//! runtime. Its argument is an expression giving a future of a new store; it is evaluated once
//! per case, and every case must get an empty store isolated from the others (cases run in
//! parallel).
#![forbid(unsafe_code)]
// This crate is a test suite shipped as a library: a failed expectation is the test failing, as
// clippy.toml allows in tests.
#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "a test suite: a failed expectation is the test failing"
)]

/// Panics unless `$result` is an `Err` matching `$pattern`, saying what was expected and got.
macro_rules! assert_err {
    ($result:expr, $pattern:pat, $($what:tt)+) => {
        match $result {
            Err($pattern) => {}
            other => panic!(
                "{}: expected Err({}), got {:?}",
                format!($($what)+),
                stringify!($pattern),
                other
            ),
        }
    };
}

pub mod cases;
pub mod fixtures;

use std::sync::Arc;

#[doc(hidden)]
pub mod __private {
    pub use tokio;
}

/// The teardown used when none is given: nothing to clean up.
pub fn no_teardown<S>(_store: Arc<S>) -> std::future::Ready<()> {
    std::future::ready(())
}

/// Expands into one `#[tokio::test]` per case of the contract. See the crate documentation.
#[macro_export]
macro_rules! store_contract_tests {
    ($fresh:expr $(,)?) => {
        $crate::store_contract_tests!($fresh, teardown = $crate::no_teardown);
    };
    ($fresh:expr, teardown = $teardown:expr $(,)?) => {
        $crate::__store_contract_cases! {
            ($fresh, $teardown)
            questions::create_question_returns_ids_and_choices_in_order_with_zero_votes,
            questions::create_question_without_choices_has_none,
            questions::questions_get_distinct_ids,
            questions::list_questions_pages_by_after_and_limit_ascending,
            questions::list_questions_of_an_empty_store_is_empty,
            questions::unknown_question_is_question_not_found,
            questions::update_question_changes_only_the_fields_set_and_bumps_the_version,
            questions::delete_question_removes_it_and_its_choices,
            choices::add_choice_appends_a_choice_with_zero_votes_and_bumps_the_version,
            choices::add_choice_to_unknown_question_is_question_not_found,
            choices::add_choice_with_a_text_already_there_is_duplicate_choice,
            choices::add_choice_beyond_the_maximum_is_too_many_choices,
            choices::concurrent_add_choice_never_exceeds_the_maximum,
            choices::concurrent_add_choice_of_one_text_succeeds_once,
            choices::get_choice_returns_the_choice_of_the_question,
            choices::get_choice_outside_the_question_is_choice_not_found,
            votes::cast_vote_counts_exactly_once,
            votes::vote_for_a_choice_of_another_question_is_choice_not_of_question,
            votes::vote_for_a_nonexistent_choice_is_choice_not_of_question,
            votes::vote_on_an_unknown_question_is_question_not_found,
            votes::second_vote_of_a_voter_is_duplicate_voter,
            votes::other_voters_and_other_questions_are_independent,
            votes::fifty_concurrent_voters_are_counted_exactly,
            votes::concurrent_votes_of_one_voter_count_once,
            idempotency::replay_with_the_same_key_and_vote_counts_nothing,
            idempotency::same_key_with_another_vote_is_idempotency_conflict,
            idempotency::same_key_on_another_question_is_independent,
            idempotency::key_older_than_its_ttl_is_treated_as_new,
            idempotency::failed_vote_does_not_remember_its_key,
            idempotency::concurrent_requests_with_one_key_count_once,
            lifecycle::version_grows_with_every_change,
            lifecycle::reads_and_refused_writes_leave_the_version,
            lifecycle::delete_question_removes_its_votes_and_keys,
            lifecycle::purge_idempotency_keys_removes_only_keys_older_than_the_cutoff,
            lifecycle::ping_answers_ok,
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __store_contract_cases {
    (($fresh:expr, $teardown:expr) $($group:ident :: $case:ident),* $(,)?) => {
        $(
            #[$crate::__private::tokio::test(
                flavor = "multi_thread",
                worker_threads = 4,
                crate = "poll_store_contract::__private::tokio"
            )]
            async fn $case() {
                let store = ::std::sync::Arc::new($fresh.await);
                $crate::cases::$group::$case(::std::sync::Arc::clone(&store)).await;
                ($teardown)(store).await;
            }
        )*
    };
}
