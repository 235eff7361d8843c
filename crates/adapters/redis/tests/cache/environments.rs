use deadpool_redis::redis::{self, AsyncCommands};
use poll_domain::Environment;
use poll_ports::DetailCache;

use crate::support::{
    cache_for, cached_version, detail, environment, question_id, raw_connection, redis_url,
};

/// Every key under an environment's prefix (test-side SCAN).
async fn keys_of(env: &Environment) -> Vec<String> {
    let mut raw = raw_connection(&redis_url()).await;
    let pattern = format!("{}*", env.key_prefix());
    let mut keys: Vec<String> = Vec::new();
    let mut iter: redis::AsyncIter<'_, String> = raw.scan_match(&pattern).await.expect("SCAN");
    while let Some(key) = iter.next_item().await {
        keys.push(key.expect("key"));
    }
    keys
}

#[tokio::test]
async fn environments_never_see_each_others_entries() {
    let (a, b) = (environment("iso-a"), environment("iso-b"));
    let (cache_a, cache_b) = (cache_for(&a), cache_for(&b));
    cache_a.put(&detail(1, 10)).await.expect("put");
    assert!(cache_b.get(question_id(1)).await.expect("get").is_none());
    cache_b.put(&detail(1, 2)).await.expect("put");
    // Same question id, different environments: each keeps its own, versions do not interfere.
    assert_eq!(cached_version(&cache_a, 1).await, Some(10));
    assert_eq!(cached_version(&cache_b, 1).await, Some(2));
    cache_b.remove(question_id(1)).await.expect("remove");
    assert!(cache_a.get(question_id(1)).await.expect("get").is_some());
}

#[tokio::test]
async fn dropping_an_environment_removes_all_its_keys_and_nothing_else() {
    let (doomed, kept) = (environment("drop-doomed"), environment("drop-kept"));
    let (cache_doomed, cache_kept) = (cache_for(&doomed), cache_for(&kept));
    let mut raw = raw_connection(&redis_url()).await;

    // 1200 keys: more than two SCAN batches of 500. Some are entries, most are written raw.
    for id in 1..=20 {
        cache_doomed.put(&detail(id, 1)).await.expect("put");
        cache_kept.put(&detail(id, 1)).await.expect("put");
    }
    let mut pipe = redis::pipe();
    for n in 0..1180 {
        pipe.set(format!("{}other:{n}", doomed.key_prefix()), n)
            .ignore();
    }
    // Look-alikes outside the prefix: the prefix without its colon, and a longer name.
    let bare = doomed.key_prefix().trim_end_matches(':').to_owned();
    pipe.set(&bare, 1)
        .ignore()
        .set(format!("{bare}x:1"), 1)
        .ignore();
    let _: () = pipe.query_async(&mut raw).await.expect("pipeline");
    assert_eq!(keys_of(&doomed).await.len(), 1200);

    let removed = cache_doomed.drop_environment_keys().await.expect("drop");
    assert_eq!(removed, 1200);
    assert!(keys_of(&doomed).await.is_empty());
    assert_eq!(keys_of(&kept).await.len(), 20);
    let survivors: (bool, bool) = (
        raw.exists(&bare).await.expect("EXISTS"),
        raw.exists(format!("{bare}x:1")).await.expect("EXISTS"),
    );
    assert_eq!(survivors, (true, true));
    assert!(
        cache_kept
            .get(question_id(20))
            .await
            .expect("get")
            .is_some()
    );

    // Dropping again is a no-op; the cache itself keeps working.
    assert_eq!(cache_doomed.drop_environment_keys().await.expect("drop"), 0);
    cache_doomed.put(&detail(1, 1)).await.expect("put");
    let _: () = raw
        .del(&[bare.clone(), format!("{bare}x:1")])
        .await
        .expect("DEL");
    cache_kept.drop_environment_keys().await.expect("clean up");
}
