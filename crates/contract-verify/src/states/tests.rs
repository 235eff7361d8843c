use serde_json::json;

use super::*;

fn no_params() -> HashMap<String, Value> {
    HashMap::new()
}

fn question(fixture: &Fixture) -> &QuestionFixture {
    assert_eq!(fixture.questions.len(), 1, "{fixture:?}");
    &fixture.questions[0]
}

#[test]
fn the_consumers_sentences_are_understood_verbatim() {
    let plain = parse("question 1 exists with choices 1 and 2", &no_params()).unwrap();
    let q = question(&plain);
    assert_eq!(q.id, 1);
    assert_eq!(
        q.choices
            .iter()
            .map(|c| (c.id, c.votes))
            .collect::<Vec<_>>(),
        [(1, 0), (2, 0)]
    );

    let voted = parse(
        "question 1 exists with choices 1 and 2, and choice 2 has 2 votes",
        &no_params(),
    )
    .unwrap();
    assert_eq!(question(&voted).choices[1].votes, 2);

    let missing = parse("question 999 does not exist", &no_params()).unwrap();
    assert_eq!(missing.absent, [999]);
    assert!(missing.questions.is_empty());

    let range = parse("questions 1 to 3 exist", &no_params()).unwrap();
    assert_eq!(
        range.questions.iter().map(|q| q.id).collect::<Vec<_>>(),
        [1, 2, 3]
    );
}

#[test]
fn other_ids_lists_and_clauses_work_alike() {
    let f = parse(
        "question 7 exists with choices 3, 4, and 9, and choice 9 has 1 vote, \
         and idempotency key ballot-7 already voted for choice 3, and voter v-1 already voted for choice 4",
        &no_params(),
    )
    .unwrap();
    let q = question(&f);
    assert_eq!(
        q.choices.iter().map(|c| c.id).collect::<Vec<_>>(),
        [3, 4, 9]
    );
    assert_eq!(q.choices[2].votes, 1);
    assert_eq!(q.keyed_votes, [("ballot-7".to_owned(), 3)]);
    assert_eq!(q.voters, [("v-1".to_owned(), 4)]);
    assert!(
        question(&parse("question 5 exists", &no_params()).unwrap())
            .choices
            .is_empty()
    );
    assert_eq!(
        question(&parse("question 5 exists with choice 8", &no_params()).unwrap())
            .choices
            .len(),
        1
    );
}

#[test]
fn parameters_fill_placeholders_and_texts() {
    let params: HashMap<String, Value> = [
        ("id".to_owned(), json!(12)),
        ("question_text".to_owned(), json!("Lunch?")),
        ("choice_texts".to_owned(), json!(["Pizza", "Soup"])),
    ]
    .into();
    let f = parse("question ${id} exists with choices 1 and 2", &params).unwrap();
    let q = question(&f);
    assert_eq!((q.id, q.text.as_str()), (12, "Lunch?"));
    assert_eq!(q.choices[1].text, "Soup");
    assert_eq!(f.values()["questionId"], json!(12));
    assert_eq!(f.values()["choiceIds"], json!([1, 2]));
    let braces = parse("question {id} does not exist", &params).unwrap();
    assert_eq!(braces.absent, [12]);
}

#[test]
fn unknown_or_inconsistent_states_are_refused_with_the_vocabulary() {
    for bad in [
        "a question with id 1",
        "question one exists",
        "question 0 exists",
        "question 1 exists with choices 1 and 1",
        "question 1 exists with choices 1 and 2, and choice 3 has 2 votes",
        "question 1 exists with choices 1 and 2, and it rains",
        "questions 3 to 1 exist",
    ] {
        let error = parse(bad, &no_params()).expect_err(bad);
        assert!(error.contains(bad), "{error}");
    }
    let error = parse("there is a poll", &no_params()).unwrap_err();
    assert!(
        error.contains("unknown provider state") && error.contains("question N does not exist"),
        "{error}"
    );
    let error = parse("question ${id} exists", &no_params()).unwrap_err();
    assert!(error.contains("\"id\""), "{error}");
    let wrong: HashMap<String, Value> = [("question_text".to_owned(), json!(5))].into();
    assert!(parse("question 1 exists", &wrong).is_err());
    let ignored: HashMap<String, Value> = [("pub_date".to_owned(), json!("2026-01-01"))].into();
    assert_eq!(
        parse("questions 1 to 2 exist", &ignored)
            .unwrap()
            .questions
            .len(),
        2
    );
}
