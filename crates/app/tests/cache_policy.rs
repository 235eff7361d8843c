//! The cache-aside read path, with mocked ports: when a cached copy may be served, and what a
//! failing cache or store turns into.
#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing
use std::sync::Arc;

use mockall::predicate::eq;
use poll_app::{AppError, AppSettings, ComponentStatus, PollService};
use poll_domain::{PubDate, Question, QuestionDetail, QuestionId, QuestionText, Timestamp};
use poll_ports::{CacheError, MockDetailCache, MockPollStore, StoreError, SystemClock};

fn detail(version: i64) -> QuestionDetail {
    QuestionDetail {
        question: Question {
            id: QuestionId::new(7).unwrap(),
            text: QuestionText::parse(&format!("version {version}")).unwrap(),
            pub_date: PubDate::parse("2019-10-20").unwrap(),
            created_at: Timestamp::UNIX_EPOCH,
        },
        choices: Vec::new(),
        version,
    }
}

fn service(
    store: MockPollStore,
    cache: MockDetailCache,
) -> PollService<MockPollStore, MockDetailCache, SystemClock> {
    PollService::new(
        Arc::new(store),
        Arc::new(cache),
        Arc::new(SystemClock),
        AppSettings::default(),
    )
}

fn id() -> QuestionId {
    QuestionId::new(7).unwrap()
}

#[tokio::test]
async fn a_cached_copy_at_the_current_version_is_served_without_reading_the_question() {
    let mut store = MockPollStore::new();
    store
        .expect_question_version()
        .with(eq(id()))
        .times(1)
        .returning(|_| Ok(3));
    store.expect_get_question().never();
    let mut cache = MockDetailCache::new();
    cache.expect_get().returning(|_| Ok(Some(detail(3))));

    let service = service(store, cache);
    assert_eq!(service.get_question(id()).await.unwrap(), detail(3));
    assert_eq!(service.stats().cache.hits(), 1);
}

#[tokio::test]
async fn a_stale_cached_copy_is_replaced_by_the_stores_current_state() {
    let mut store = MockPollStore::new();
    store.expect_question_version().returning(|_| Ok(4));
    store
        .expect_get_question()
        .times(1)
        .returning(|_| Ok(detail(4)));
    let mut cache = MockDetailCache::new();
    cache.expect_get().returning(|_| Ok(Some(detail(3))));
    cache
        .expect_put()
        .withf(|d| d.version == 4)
        .times(1)
        .returning(|_| Ok(()));

    let service = service(store, cache);
    assert_eq!(service.get_question(id()).await.unwrap().version, 4);
    assert_eq!(service.stats().cache.stale_entries(), 1);
    assert_eq!(service.stats().cache.hits(), 0);
}

#[tokio::test]
async fn a_failing_cache_is_a_miss_not_an_error() {
    let mut store = MockPollStore::new();
    store
        .expect_get_question()
        .times(1)
        .returning(|_| Ok(detail(1)));
    let mut cache = MockDetailCache::new();
    cache
        .expect_get()
        .returning(|_| Err(CacheError::Unavailable("down".into())));
    // A cache that just failed is not asked again within the same read (one timeout at most).
    cache.expect_put().never();

    let service = service(store, cache);
    assert_eq!(service.get_question(id()).await.unwrap(), detail(1));
    assert_eq!(service.stats().cache.errors(), 1);
}

#[tokio::test]
async fn a_question_deleted_behind_a_cached_copy_is_not_found() {
    let mut store = MockPollStore::new();
    store
        .expect_question_version()
        .returning(|_| Err(StoreError::QuestionNotFound));
    store.expect_get_question().never();
    let mut cache = MockDetailCache::new();
    cache.expect_get().returning(|_| Ok(Some(detail(2))));

    let result = service(store, cache).get_question(id()).await;
    assert!(
        matches!(result, Err(AppError::QuestionNotFound)),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_unreachable_store_is_unavailable_and_makes_the_service_unready() {
    let mut store = MockPollStore::new();
    store
        .expect_get_question()
        .returning(|_| Err(StoreError::Unavailable("timeout".into())));
    store
        .expect_ping()
        .returning(|| Err(StoreError::Unavailable("timeout".into())));
    let mut cache = MockDetailCache::new();
    cache.expect_get().returning(|_| Ok(None));
    cache.expect_ping().returning(|| Ok(true));

    let service = service(store, cache);
    assert!(matches!(
        service.get_question(id()).await,
        Err(AppError::Unavailable(_))
    ));
    let readiness = service.readiness().await;
    assert_eq!(readiness.postgres, ComponentStatus::Down);
    assert_eq!(readiness.status(), "unready");
}

#[tokio::test]
async fn an_unexpected_store_failure_is_internal() {
    let mut store = MockPollStore::new();
    store
        .expect_delete_question()
        .returning(|_| Err(StoreError::Unexpected("bug".into())));
    let service = service(store, MockDetailCache::new());
    assert!(matches!(
        service.delete_question(id()).await,
        Err(AppError::Internal(_))
    ));
}
