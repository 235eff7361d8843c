//! The store port's contract suite, run against PostgreSQL: each case in a schema of its own,
//! dropped afterwards. Needs `POLL__DATABASE__URL`.

mod common;

poll_store_contract::store_contract_tests!(common::fresh_store(), teardown = common::drop_store);
