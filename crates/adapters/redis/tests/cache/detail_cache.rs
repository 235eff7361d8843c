//! Round trips, misses, versions, removal, TTL and concurrent fills.
use std::sync::Arc;

use deadpool_redis::redis::AsyncCommands;
use poll_domain::Environment;
use poll_ports::DetailCache;
use poll_redis::{RedisCache, RedisSettings};

use crate::support::{
    cache, cached_version, detail, environment, question_id, raw_connection, redis_url, settings,
};

fn key(env: &Environment, id: i64) -> String {
    format!("{}question:{id}", env.key_prefix())
}

#[tokio::test]
async fn a_stored_detail_reads_back_identical() {
    let cache = cache("round-trip");
    let original = detail(7, 4);
    cache.put(&original).await.expect("put");
    let read = cache.get(question_id(7)).await.expect("get");
    assert_eq!(read, Some(original));
}

#[tokio::test]
async fn an_absent_entry_is_a_miss() {
    let cache = cache("miss");
    assert!(
        cache
            .get(question_id(123_456))
            .await
            .expect("get")
            .is_none()
    );
}

#[tokio::test]
async fn a_lower_version_never_replaces_a_higher_one() {
    let cache = cache("versions");
    cache.put(&detail(1, 5)).await.expect("put v5");
    cache
        .put(&detail(1, 3))
        .await
        .expect("put v3 is not an error");
    assert_eq!(cached_version(&cache, 1).await, Some(5));

    let same = detail(1, 5);
    cache.put(&same).await.expect("put v5 again");
    assert_eq!(cache.get(question_id(1)).await.expect("get"), Some(same));

    cache.put(&detail(1, 6)).await.expect("put v6");
    assert_eq!(cached_version(&cache, 1).await, Some(6));
}

#[tokio::test]
async fn versions_compare_exactly_beyond_double_precision() {
    // Lua numbers are doubles: 2^63-2 and 2^63-3 would look equal to a numeric comparison.
    let cache = cache("big-versions");
    cache.put(&detail(1, i64::MAX - 1)).await.expect("put");
    cache.put(&detail(1, i64::MAX - 2)).await.expect("put");
    assert_eq!(cached_version(&cache, 1).await, Some(i64::MAX - 1));

    cache.put(&detail(2, -3)).await.expect("put");
    cache.put(&detail(2, -10)).await.expect("put");
    assert_eq!(cached_version(&cache, 2).await, Some(-3));
    cache.put(&detail(2, 0)).await.expect("put");
    assert_eq!(cached_version(&cache, 2).await, Some(0));
}

#[tokio::test]
async fn remove_deletes_the_entry() {
    let cache = cache("remove");
    cache.put(&detail(9, 1)).await.expect("put");
    cache.remove(question_id(9)).await.expect("remove");
    assert!(cache.get(question_id(9)).await.expect("get").is_none());
    cache
        .remove(question_id(9))
        .await
        .expect("removing an absent entry is fine");
}

#[tokio::test]
async fn entries_are_hashes_with_the_version_and_expire_after_the_ttl() {
    let env = environment("ttl");
    let url = redis_url();
    let cache = RedisCache::connect(
        &RedisSettings {
            ttl_secs: 120,
            ..settings(url.clone())
        },
        &env,
    )
    .expect("cache");
    cache.put(&detail(3, 8)).await.expect("put");

    let mut raw = raw_connection(&url).await;
    let ttl: i64 = raw.ttl(key(&env, 3)).await.expect("TTL");
    assert!((100..=120).contains(&ttl), "TTL {ttl}");
    let version: String = raw.hget(key(&env, 3), "v").await.expect("HGET v");
    assert_eq!(version, "8");
    // A lower version leaves the entry, its TTL included, alone; an equal one refreshes it.
    let _: () = raw.expire(key(&env, 3), 50).await.expect("EXPIRE");
    cache.put(&detail(3, 7)).await.expect("put");
    let ttl: i64 = raw.ttl(key(&env, 3)).await.expect("TTL");
    assert!(ttl <= 50, "TTL {ttl}");
    cache.put(&detail(3, 8)).await.expect("put");
    let ttl: i64 = raw.ttl(key(&env, 3)).await.expect("TTL");
    assert!(ttl > 100, "TTL {ttl}");
}

#[tokio::test]
async fn concurrent_fills_leave_the_highest_version() {
    let cache = Arc::new(cache("concurrent"));
    let mut tasks = Vec::new();
    // Versions are handed out interleaved so that low and high versions race each other.
    for worker in 0..16_i64 {
        let cache = Arc::clone(&cache);
        tasks.push(tokio::spawn(async move {
            for round in 0..25_i64 {
                let version = round * 16 + (15 - worker);
                cache.put(&detail(5, version)).await.expect("put");
                let seen = cached_version(&cache, 5).await;
                assert!(
                    seen >= Some(version),
                    "read {seen:?} after writing {version}"
                );
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    assert_eq!(cached_version(&cache, 5).await, Some(24 * 16 + 15));
}
