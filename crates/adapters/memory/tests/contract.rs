//! The memory store passes the same contract suite as every other store.
poll_store_contract::store_contract_tests!(async { poll_memory::MemoryStore::new() });
