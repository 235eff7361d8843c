//! Hits and misses through the service: a read fills the cache, the next read is served from
//! it, and writes refresh or remove the entry so that the next read shows them.
//!
//! A hit is observed without counters: the test rewrites the cached texts at the entry's own
//! version (PostgreSQL never holds them), so a read that shows them was served from the cache.
//! Where the service serves `/metrics`, its cache counters are checked against that too.

use reqwest::StatusCode;
use serde_json::Value;

use crate::entries::{entry, exists, marked, plant, remove, ttl};
use crate::harness::{Cache, Read, TestService, id_of, spawn};

const MARKER: &str = "Served from the cache";

/// The service's cache counters on `/metrics` (hits, misses), or `None` when it serves none.
async fn cache_counters(service: &TestService) -> Option<(u64, u64)> {
    let response = service.get("/metrics").await;
    if response.status() != StatusCode::OK {
        return None;
    }
    let text = response.text().await.expect("metrics text");
    let value = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .map(|v| {
                v.trim()
                    .parse::<u64>()
                    .expect("a counter is a whole number")
            })
    };
    Some((
        value("poll_cache_hits_total")?,
        value("poll_cache_misses_total")?,
    ))
}

/// A question with two choices: its id and its choices' ids.
async fn question(service: &TestService) -> (i64, [i64; 2]) {
    let created = service.create_question("Cached?", &["yes", "no"]).await;
    let choices = [id_of(&created["choices"][0]), id_of(&created["choices"][1])];
    (id_of(&created), choices)
}

/// Asserts that every read of the question shows the marker: each was a cache hit.
async fn assert_served_from_the_cache(service: &TestService, question: i64, choice: i64) {
    let detail = service.get_json(&Read::Detail.path(question)).await;
    assert_eq!(detail["question_text"], MARKER, "detail: {detail}");
    let choices = service.get_json(&Read::Choices.path(question)).await;
    assert_eq!(
        choices[0]["choice_text"],
        format!("{MARKER} 0"),
        "{choices}"
    );
    let results = service.get_json(&Read::Results.path(question)).await;
    assert_eq!(results["question_text"], MARKER, "results: {results}");
    let one = service
        .get_json(&format!("/polls/questions/{question}/choices/{choice}/"))
        .await;
    assert_eq!(one["choice_text"], format!("{MARKER} 0"), "{one}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_detail_read_fills_the_cache_and_the_next_reads_are_served_from_it() {
    let service = spawn("hits", Cache::Shared, &[]).await;
    let mut redis = service.redis().await;
    let (question, [yes, _]) = question(&service).await;
    let key = service.question_key(question);
    let created = entry(&mut redis, &key)
        .await
        .expect("creating a question caches it");

    // Start from an empty cache to see a read fill it.
    remove(&mut redis, &key).await;
    let first = service.get_json(&Read::Detail.path(question)).await;
    assert_eq!(first["question_text"], "Cached?");
    let filled = entry(&mut redis, &key)
        .await
        .expect("the first read filled the cache");
    assert_eq!(filled, created, "the same detail at the same version");
    let left = ttl(&mut redis, &key).await;
    assert!((1..=300).contains(&left), "the entry expires: TTL {left}");

    let planted = marked(&filled, MARKER);
    plant(&mut redis, &key, &planted).await;
    let before = cache_counters(&service).await;
    assert_served_from_the_cache(&service, question, yes).await;
    if let (Some((hits, misses)), Some((hits_after, misses_after))) =
        (before, cache_counters(&service).await)
    {
        assert_eq!(hits_after - hits, 4, "four reads, four hits");
        assert_eq!(misses_after, misses, "no miss");
    }
    assert_eq!(
        entry(&mut redis, &key).await,
        Some(planted),
        "hits rewrite nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_is_read_back_at_once_and_moves_the_cached_version_on() {
    let service = spawn("vote", Cache::Shared, &[]).await;
    let mut redis = service.redis().await;
    let (question, [yes, no]) = question(&service).await;
    let key = service.question_key(question);
    service.get_json(&Read::Detail.path(question)).await;
    let before = entry(&mut redis, &key).await.expect("cached");
    // Were the entry served after the vote, the reads would show the marker.
    plant(&mut redis, &key, &marked(&before, MARKER)).await;

    service.vote(question, yes, "voter-1").await;
    let counted = cache_counters(&service).await;
    for read in Read::ALL {
        let body = service.get_json(&read.path(question)).await;
        assert_eq!(read.votes_of(&body, yes), 1, "{read:?}: {body}");
        assert_eq!(read.total(&body), 1, "{read:?}: {body}");
        assert!(!body.to_string().contains(MARKER), "{read:?}: {body}");
    }
    let after = entry(&mut redis, &key).await.expect("refilled");
    assert!(
        after.version > before.version,
        "a vote moves the version on: {} then {}",
        before.version,
        after.version
    );
    assert!(!after.data.contains(MARKER), "the old entry was replaced");
    if let (Some((hits, misses)), Some((hits_after, misses_after))) =
        (counted, cache_counters(&service).await)
    {
        assert_eq!(
            misses_after - misses,
            1,
            "the first read after the vote misses"
        );
        assert_eq!(hits_after - hits, 2, "the next two are hits");
    }

    // The refreshed entry is served again, with the vote in it.
    plant(&mut redis, &key, &marked(&after, MARKER)).await;
    assert_served_from_the_cache(&service, question, yes).await;
    let results = service.get_json(&Read::Results.path(question)).await;
    assert_eq!(results["total_votes"], 1, "{results}");

    service.vote(question, no, "voter-2").await;
    for read in Read::ALL {
        let body = service.get_json(&read.path(question)).await;
        assert_eq!(read.votes_of(&body, no), 1, "{read:?}: {body}");
        assert_eq!(read.total(&body), 2, "{read:?}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_refreshes_the_entry_and_a_delete_removes_it() {
    let service = spawn("writes", Cache::Shared, &[]).await;
    let mut redis = service.redis().await;
    let (question, _) = question(&service).await;
    let key = service.question_key(question);
    let created = entry(&mut redis, &key).await.expect("cached");

    service.patch_text(question, "Patched?").await;
    let patched = entry(&mut redis, &key)
        .await
        .expect("a patch caches the updated detail");
    assert!(patched.version > created.version, "{created:?} {patched:?}");
    assert!(patched.data.contains("Patched?"), "{patched:?}");
    let detail: Value = service.get_json(&Read::Detail.path(question)).await;
    assert_eq!(detail["question_text"], "Patched?");
    assert_eq!(
        entry(&mut redis, &key).await,
        Some(patched),
        "the read kept the entry"
    );

    service.delete_question(question).await;
    assert!(
        !exists(&mut redis, &key).await,
        "a delete removes the entry"
    );
    for read in Read::ALL {
        let response = service.get(&read.path(question)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{read:?}");
    }
    assert!(!exists(&mut redis, &key).await, "a 404 caches nothing");
}
