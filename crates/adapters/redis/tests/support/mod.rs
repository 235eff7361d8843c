//! Helpers shared by the test binaries (each uses its own subset).
#![allow(dead_code)]

use deadpool_redis::redis;
use poll_domain::{
    Choice, ChoiceId, ChoiceText, Environment, PubDate, Question, QuestionDetail, QuestionId,
    QuestionText,
};
use poll_redis::{RedisCache, RedisSettings};
use time::OffsetDateTime;
use uuid::Uuid;

pub const URL_VAR: &str = "POLL__REDIS__URL";

/// The shared test Redis. These tests never skip: without Redis they fail, saying why.
pub fn redis_url() -> String {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "{URL_VAR} is not set: the poll-redis tests need a real Redis server. \
             Start the test services and load their env file, e.g. \
             `. \"$(bash ci/services.sh up)\"`, or export {URL_VAR}=redis://127.0.0.1:<port>/"
        ),
    }
}

/// A fresh environment, so that concurrent tests never share keys.
pub fn environment(tag: &str) -> Environment {
    Environment::new(&format!("test/{tag}/{}", Uuid::new_v4())).expect("valid environment")
}

/// Settings with a generous timeout: functional tests must not fail because the machine is busy.
pub fn settings(url: String) -> RedisSettings {
    RedisSettings {
        url,
        command_timeout_ms: 2000,
        ..RedisSettings::default()
    }
}

pub fn cache_for(env: &Environment) -> RedisCache {
    RedisCache::connect(&settings(redis_url()), env).expect("cache builds")
}

/// A cache on the shared Redis, in an environment of its own.
pub fn cache(tag: &str) -> RedisCache {
    cache_for(&environment(tag))
}

/// A plain connection, to look at what the cache wrote.
pub async fn raw_connection(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .expect("valid url")
        .get_multiplexed_async_connection()
        .await
        .expect("Redis reachable")
}

pub fn question_id(id: i64) -> QuestionId {
    QuestionId::new(id).expect("positive id")
}

/// The version of the entry cached for question `id`, if any.
pub async fn cached_version(cache: &RedisCache, id: i64) -> Option<i64> {
    use poll_ports::DetailCache;
    cache
        .get(question_id(id))
        .await
        .expect("get")
        .map(|d| d.version)
}

/// A detail with unicode texts and three choices.
pub fn detail(id: i64, version: i64) -> QuestionDetail {
    let question_id = question_id(id);
    let choice = |n: i64, text: &str, votes: i64| Choice {
        id: ChoiceId::new(id * 100 + n).expect("positive id"),
        question_id,
        text: ChoiceText::parse(text).expect("valid text"),
        votes,
    };
    QuestionDetail {
        question: Question {
            id: question_id,
            text: QuestionText::parse("Où va-t-on ? 🚀 Ζωή, 漢字 & \"quotes\"")
                .expect("valid text"),
            pub_date: PubDate::parse("2019-10-20").expect("valid date"),
            created_at: OffsetDateTime::now_utc(),
        },
        choices: vec![
            choice(1, "Not much", 3),
            choice(2, "Über alles 👍🏽", version),
            choice(3, "\u{200d}zero-width joiner", 0),
        ],
        version,
    }
}
