//! Looking at and tampering with the service's cache entries through a plain Redis connection.
//!
//! An entry is a hash `{v: <version>, d: <JSON of the detail>}` (see `poll-redis`). The tests
//! read it to see what the service cached, and write it directly (bypassing the service's
//! version-guarded script) to plant entries the service must not serve.

use std::collections::HashMap;

use deadpool_redis::redis::{self, aio::MultiplexedConnection};
use serde_json::{Value, json};

/// How long a planted entry lives (the service's default TTL).
const PLANTED_TTL_SECS: u64 = 300;

/// One cache entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub version: i64,
    pub data: String,
}

/// The entry at `key`, if any.
pub async fn entry(conn: &mut MultiplexedConnection, key: &str) -> Option<Entry> {
    let fields: HashMap<String, String> = redis::cmd("HGETALL")
        .arg(key)
        .query_async(conn)
        .await
        .expect("HGETALL");
    if fields.is_empty() {
        return None;
    }
    let version = fields
        .get("v")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("entry {key} without a version: {fields:?}"));
    let data = fields
        .get("d")
        .cloned()
        .unwrap_or_else(|| panic!("entry {key} without data: {fields:?}"));
    Some(Entry { version, data })
}

/// Replaces whatever is at `key` with `entry`, in one transaction.
pub async fn plant(conn: &mut MultiplexedConnection, key: &str, entry: &Entry) {
    let () = redis::pipe()
        .atomic()
        .cmd("DEL")
        .arg(key)
        .ignore()
        .cmd("HSET")
        .arg(key)
        .arg("v")
        .arg(entry.version)
        .arg("d")
        .arg(&entry.data)
        .ignore()
        .cmd("EXPIRE")
        .arg(key)
        .arg(PLANTED_TTL_SECS)
        .ignore()
        .query_async(conn)
        .await
        .expect("planting an entry");
}

pub async fn remove(conn: &mut MultiplexedConnection, key: &str) {
    let _: i64 = redis::cmd("DEL")
        .arg(key)
        .query_async(conn)
        .await
        .expect("DEL");
}

pub async fn exists(conn: &mut MultiplexedConnection, key: &str) -> bool {
    let count: i64 = redis::cmd("EXISTS")
        .arg(key)
        .query_async(conn)
        .await
        .expect("EXISTS");
    count == 1
}

/// Seconds the key has left (-1 without expiry, -2 when absent).
pub async fn ttl(conn: &mut MultiplexedConnection, key: &str) -> i64 {
    redis::cmd("TTL")
        .arg(key)
        .query_async(conn)
        .await
        .expect("TTL")
}

/// The entry at the same version with its texts replaced by `marker` (the question's) and
/// `"<marker> <n>"` (the n-th choice's). PostgreSQL never holds these texts, so only a read
/// served from this entry can show them: the black-box proof of a cache hit.
pub fn marked(entry: &Entry, marker: &str) -> Entry {
    let mut data: Value = serde_json::from_str(&entry.data).expect("an entry's data is JSON");
    data["text"] = json!(marker);
    let choices = data["choices"]
        .as_array_mut()
        .expect("choices in the entry");
    for (n, choice) in choices.iter_mut().enumerate() {
        choice["text"] = json!(format!("{marker} {n}"));
    }
    Entry {
        version: entry.version,
        data: data.to_string(),
    }
}
