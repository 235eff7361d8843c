//! Random garbage never makes the service answer 5xx (a seeded loop: reproducible).

use reqwest::Method;
use serde_json::json;

use crate::helpers::{assert_problem_body, id_of, spawn_app};

/// xorshift64*: small, deterministic, good enough to shake inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const FRAGMENTS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\"question_text\"",
    "\"pub_date\"",
    "\"choices\"",
    "\"choice_id\"",
    "\"voter_id\"",
    "\"choice_text\"",
    "\"2019-10-20\"",
    "\"2023-02-29\"",
    "null",
    "true",
    "1",
    "-1",
    "0",
    "9223372036854775808",
    "1e999",
    "1.5",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"é\"",
    "🦀",
    " ",
    "\n",
    "\\",
    "&",
    "=",
    "%",
    "%zz",
    "+",
    "question_text=",
    "pub_date=",
];

fn garbage(rng: &mut Rng) -> Vec<u8> {
    let mut body = Vec::new();
    for _ in 0..rng.below(40) {
        if rng.below(10) == 0 {
            body.push(u8::try_from(rng.below(256)).unwrap_or(0));
        } else {
            body.extend_from_slice(rng.pick(FRAGMENTS).as_bytes());
        }
    }
    body
}

#[tokio::test]
async fn random_garbage_bodies_never_cause_a_5xx() {
    let app = spawn_app().await;
    let created = app.create_question("Fuzz?", &["a", "b"]).await;
    let id = id_of(&created);
    let targets = [
        (Method::POST, "/polls/questions/".to_owned()),
        (Method::PATCH, format!("/polls/questions/{id}/")),
        (Method::POST, format!("/polls/questions/{id}/choices/")),
        (Method::POST, format!("/polls/questions/{id}/votes/")),
    ];
    let media = [
        "application/json",
        "application/x-www-form-urlencoded",
        "text/plain",
    ];
    let mut rng = Rng(0x5eed_1234_abcd_0042);
    for round in 0..300 {
        let (method, path) = &targets[rng.below(targets.len())];
        let content_type = media[rng.below(media.len())];
        let body = garbage(&mut rng);
        let response = app
            .send_raw(method.clone(), path, Some(content_type), body.clone())
            .await;
        let status = response.status().as_u16();
        assert!(
            status < 500,
            "round {round}: {status} for {method} {path} {content_type} {body:?}"
        );
        if status >= 400 {
            let problem: serde_json::Value = response.json().await.expect("a JSON problem");
            assert_problem_body(&problem, status);
        }
    }
    let detail = app.get(&format!("/polls/questions/{id}/")).await;
    assert_eq!(detail.status(), 200);
    assert!(json!(detail.json::<serde_json::Value>().await.expect("json")).is_object());
}
