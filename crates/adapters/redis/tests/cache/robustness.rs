//! Corrupt entries, a flushed script cache, counters, and building the cache.
use deadpool_redis::redis::{self, AsyncCommands};
use poll_domain::Environment;
use poll_ports::{CacheError, DetailCache};
use poll_redis::{BreakerState, RedisCache, RedisError, RedisSettings};

use crate::support::{
    cache, cache_for, cached_version, detail, environment, question_id, raw_connection, redis_url,
    settings,
};

fn key(env: &Environment, id: i64) -> String {
    format!("{}question:{id}", env.key_prefix())
}

#[tokio::test]
async fn unreadable_entries_are_corrupt_and_a_put_heals_them() {
    let env = environment("corrupt");
    let cache = cache_for(&env);
    let mut raw = raw_connection(&redis_url()).await;

    let _: () = raw
        .hset_multiple(key(&env, 1), &[("v", "3"), ("d", "{not json")])
        .await
        .expect("HSET");
    let _: () = raw
        .hset_multiple(key(&env, 2), &[("v", "3"), ("d", r#"{"f":99}"#)])
        .await
        .expect("HSET");
    let _: () = raw.set(key(&env, 3), "a plain string").await.expect("SET");
    for id in 1..=3 {
        let got = cache.get(question_id(id)).await;
        assert!(
            matches!(got, Err(CacheError::Corrupt(_))),
            "entry {id}: {got:?}"
        );
    }
    assert!(cache.stats().corrupt >= 3);
    assert_eq!(cache.stats().breaker_state, BreakerState::Closed);

    // A garbled version or another type is replaced by the next fill, whatever its version.
    let _: () = raw
        .hset(key(&env, 4), "v", "not-a-number")
        .await
        .expect("HSET");
    for id in [3, 4] {
        cache
            .put(&detail(id, 1))
            .await
            .expect("put over a corrupt entry");
        assert_eq!(cached_version(&cache, id).await, Some(1));
    }
    // An unreadable body under a valid version still guards that version (it may be a newer
    // release's format): a lower fill is refused, one at that version or above replaces it.
    cache.put(&detail(1, 2)).await.expect("put");
    assert!(matches!(
        cache.get(question_id(1)).await,
        Err(CacheError::Corrupt(_))
    ));
    cache.put(&detail(1, 3)).await.expect("put");
    assert_eq!(cached_version(&cache, 1).await, Some(3));
    // Raw keys have no TTL: leave the shared Redis clean.
    cache.drop_environment_keys().await.expect("clean up");
}

#[tokio::test]
async fn ping_says_up() {
    assert!(cache("ping").ping().await.expect("ping"));
}

#[tokio::test]
async fn a_flushed_script_cache_is_reloaded() {
    let cache = cache("script-flush");
    cache.put(&detail(1, 1)).await.expect("put");
    let mut raw = raw_connection(&redis_url()).await;
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut raw)
        .await
        .expect("SCRIPT FLUSH");
    cache
        .put(&detail(1, 2))
        .await
        .expect("put after SCRIPT FLUSH");
    assert_eq!(cached_version(&cache, 1).await, Some(2));
}

#[tokio::test]
async fn stats_count_calls_and_no_errors_when_healthy() {
    let cache = cache("stats");
    cache.put(&detail(1, 1)).await.expect("put");
    let _ = cache.get(question_id(1)).await.expect("get");
    let _ = cache.get(question_id(2)).await.expect("get");
    let stats = cache.stats();
    assert_eq!(stats.calls, 3);
    assert_eq!(
        (stats.errors, stats.timeouts, stats.short_circuited),
        (0, 0, 0)
    );
    assert_eq!(stats.breaker_state, BreakerState::Closed);
}

#[tokio::test]
async fn connecting_needs_no_redis_but_a_valid_url() {
    let env = environment("connect");
    let nowhere = RedisSettings {
        url: "redis://127.0.0.1:1/".to_owned(),
        command_timeout_ms: 500,
        ..RedisSettings::default()
    };
    let cache =
        RedisCache::connect(&nowhere, &env).expect("a lazy pool builds while Redis is down");
    assert!(matches!(
        cache.ping().await,
        Err(CacheError::Unavailable(_))
    ));
    assert!(matches!(
        cache.get(question_id(1)).await,
        Err(CacheError::Unavailable(_))
    ));

    let bad = RedisSettings {
        url: "http://user:hunter2@example/".to_owned(),
        ..RedisSettings::default()
    };
    let err = RedisCache::connect(&bad, &env).expect_err("not a Redis URL");
    assert!(matches!(err, RedisError::InvalidUrl));
    assert!(!format!("{err} {err:?}").contains("hunter2"));
    let zero = RedisSettings {
        ttl_secs: 0,
        ..settings(redis_url())
    };
    assert!(matches!(
        RedisCache::connect(&zero, &env),
        Err(RedisError::InvalidSettings(_))
    ));
}

#[tokio::test]
async fn an_entry_under_another_questions_key_is_not_served() {
    let env = environment("wrong-key");
    let cache = cache_for(&env);
    cache.put(&detail(8, 1)).await.expect("put");
    let mut raw = raw_connection(&redis_url()).await;
    let body: String = raw.hget(key(&env, 8), "d").await.expect("HGET");
    let _: () = raw
        .hset_multiple(key(&env, 7), &[("v", "1"), ("d", body.as_str())])
        .await
        .expect("HSET");
    let got = cache.get(question_id(7)).await;
    assert!(matches!(got, Err(CacheError::Corrupt(_))), "{got:?}");
    cache.drop_environment_keys().await.expect("clean up");
}
