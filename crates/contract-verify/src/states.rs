//! The provider-state vocabulary: plain sentences, parsed into the data they stand for.
//!
//! Sentences (ids are the ids the consumer uses in its requests; `docs/contracts.md` is the
//! reference for consumers):
//!
//! - `question N exists` and `question N exists with choices A and B` (any number of choices:
//!   `with choice A`, `with choices A, B and C`), optionally followed by clauses, each after
//!   `, and `:
//!   - `choice C has V votes` (or `1 vote`),
//!   - `idempotency key K already voted for choice C`,
//!   - `voter X already voted for choice C`;
//! - `question N does not exist`;
//! - `questions A to B exist` (every id from A to B, without choices).
//!
//! Parameters: `${name}` or `{name}` in a sentence is replaced by the state's parameter `name`
//! (Pact's provider-state parameters), and `question_text`, `pub_date` and `choice_texts` (an array,
//! in choice order) set the texts of the one question a state describes.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::BuildHasher;

use serde_json::Value;

/// The largest id range or vote count one state may ask for: states are small fixtures.
const MAX_ITEMS: i64 = 1000;

/// What a state says must be in the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fixture {
    /// Questions to create, in order, with exactly these ids.
    pub questions: Vec<QuestionFixture>,
    /// Question ids that must not exist.
    pub absent: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionFixture {
    pub id: i64,
    pub text: String,
    pub pub_date: String,
    pub choices: Vec<ChoiceFixture>,
    /// Votes already counted under an idempotency key: `(key, choice id)`.
    pub keyed_votes: Vec<(String, i64)>,
    /// Named voters who already voted: `(voter id, choice id)`.
    pub voters: Vec<(String, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceFixture {
    pub id: i64,
    pub text: String,
    /// Anonymous votes to count (besides keyed and named ones).
    pub votes: i64,
}

impl QuestionFixture {
    fn new(id: i64) -> Self {
        Self {
            id,
            text: format!("Question {id}?"),
            pub_date: "2026-01-01".to_owned(),
            choices: Vec::new(),
            keyed_votes: Vec::new(),
            voters: Vec::new(),
        }
    }
}

impl Fixture {
    /// The values a state hands back to the verifier (for `fromProviderState` generators).
    pub fn values(&self) -> HashMap<String, Value> {
        let mut values = HashMap::new();
        if let [question] = self.questions.as_slice() {
            let choice_ids: Vec<i64> = question.choices.iter().map(|c| c.id).collect();
            values.insert("questionId".to_owned(), Value::from(question.id));
            values.insert("question_id".to_owned(), Value::from(question.id));
            values.insert("choiceIds".to_owned(), Value::from(choice_ids.clone()));
            values.insert("choice_ids".to_owned(), Value::from(choice_ids));
        }
        values
    }
}

/// The sentences this provider knows, for error messages.
pub const VOCABULARY: &str = "\"question N exists\", \
\"question N exists with choices A and B\" (with optional clauses \", and choice C has V votes\", \
\", and idempotency key K already voted for choice C\", \", and voter X already voted for choice C\"), \
\"question N does not exist\", \"questions A to B exist\" (see docs/contracts.md)";

/// Parses a state with its parameters.
///
/// # Errors
/// A message naming the state and what is wrong: an unknown sentence, a bad number, a clause
/// about a choice the question does not have, a parameter of the wrong type.
pub fn parse<S: BuildHasher>(
    name: &str,
    params: &HashMap<String, Value, S>,
) -> Result<Fixture, String> {
    let sentence = substitute(name, params)?;
    let sentence = sentence.trim();
    let mut fixture = parse_sentence(sentence).map_err(|why| {
        format!("unknown provider state {name:?} ({why}); poll-api knows {VOCABULARY}")
    })?;
    apply_params(&mut fixture, params).map_err(|why| format!("provider state {name:?}: {why}"))?;
    Ok(fixture)
}

/// Replaces `${key}` and `{key}` by the parameter's value.
fn substitute<S: BuildHasher>(
    name: &str,
    params: &HashMap<String, Value, S>,
) -> Result<String, String> {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        let dollar = open > 0 && rest.as_bytes()[open - 1] == b'$';
        let key = &rest[open + 1..close];
        let value = params.get(key).ok_or_else(|| {
            format!("provider state {name:?} refers to parameter {key:?}, which is not given")
        })?;
        out.push_str(&rest[..if dollar { open - 1 } else { open }]);
        match value {
            Value::String(text) => out.push_str(text),
            other => {
                let _ = write!(out, "{other}");
            }
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn parse_sentence(sentence: &str) -> Result<Fixture, String> {
    if let Some(range) = sentence.strip_prefix("questions ") {
        let range = range
            .strip_suffix(" exist")
            .ok_or("expected \"questions A to B exist\"")?;
        let (first, last) = range
            .split_once(" to ")
            .ok_or("expected \"questions A to B exist\"")?;
        let (first, last) = (id(first)?, id(last)?);
        if first > last || last - first >= MAX_ITEMS {
            return Err(format!("a range of 1 to {MAX_ITEMS} ids, first to last"));
        }
        return Ok(Fixture {
            questions: (first..=last).map(QuestionFixture::new).collect(),
            absent: Vec::new(),
        });
    }
    let rest = sentence
        .strip_prefix("question ")
        .ok_or("a state starts with \"question \" or \"questions \"")?;
    if let Some(missing) = rest.strip_suffix(" does not exist") {
        return Ok(Fixture {
            questions: Vec::new(),
            absent: vec![id(missing)?],
        });
    }
    Ok(Fixture {
        questions: vec![parse_question(rest)?],
        absent: Vec::new(),
    })
}

/// `N exists[ with choices ...][, and clause]*`.
fn parse_question(text: &str) -> Result<QuestionFixture, String> {
    let mut clauses = text.split(", and ");
    let head = clauses.next().unwrap_or_default();
    let (number, after) = head
        .split_once(" exists")
        .ok_or("expected \"question N exists ...\" or \"question N does not exist\"")?;
    let mut question = QuestionFixture::new(id(number)?);
    let mut choice_ids = if after.is_empty() {
        Vec::new()
    } else if let Some(list) = after
        .strip_prefix(" with choices ")
        .or_else(|| after.strip_prefix(" with choice "))
    {
        id_list(list)?
    } else {
        return Err(format!("unexpected {after:?} after \"exists\""));
    };
    let mut modifiers = Vec::new();
    for clause in clauses {
        // "choices 1, 2, and 3": an Oxford comma before the last choice.
        if modifiers.is_empty()
            && !choice_ids.is_empty()
            && clause.bytes().all(|b| b.is_ascii_digit())
        {
            choice_ids.push(id(clause)?);
        } else {
            modifiers.push(clause);
        }
    }
    if choice_ids.len() > 20 {
        return Err("a question has at most 20 choices".to_owned());
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = choice_ids.iter().find(|c| !seen.insert(**c)) {
        return Err(format!("choice {twice} is named twice"));
    }
    question.choices = choice_ids
        .into_iter()
        .map(|id| ChoiceFixture {
            id,
            text: format!("Choice {id}"),
            votes: 0,
        })
        .collect();
    for clause in modifiers {
        apply_clause(&mut question, clause)?;
    }
    Ok(question)
}

fn apply_clause(question: &mut QuestionFixture, clause: &str) -> Result<(), String> {
    if let Some(rest) = clause.strip_prefix("choice ") {
        let (choice, votes) = rest
            .split_once(" has ")
            .ok_or_else(|| format!("expected \"choice C has V votes\", got {clause:?}"))?;
        let votes = votes
            .strip_suffix(" votes")
            .or_else(|| votes.strip_suffix(" vote"))
            .ok_or_else(|| format!("expected \"choice C has V votes\", got {clause:?}"))?;
        let votes: i64 = votes
            .parse()
            .ok()
            .filter(|v| (0..=MAX_ITEMS).contains(v))
            .ok_or_else(|| format!("a vote count of 0 to {MAX_ITEMS}, got {votes:?}"))?;
        let choice = id(choice)?;
        choice_of(question, choice)?.votes += votes;
        return Ok(());
    }
    let (who, choice) = clause
        .split_once(" already voted for choice ")
        .ok_or_else(|| format!("unknown clause {clause:?}"))?;
    let choice = id(choice)?;
    choice_of(question, choice)?;
    if let Some(key) = who.strip_prefix("idempotency key ") {
        question.keyed_votes.push((token(key, 255)?, choice));
    } else if let Some(voter) = who.strip_prefix("voter ") {
        question.voters.push((token(voter, 128)?, choice));
    } else {
        return Err(format!("unknown clause {clause:?}"));
    }
    Ok(())
}

fn choice_of(question: &mut QuestionFixture, choice: i64) -> Result<&mut ChoiceFixture, String> {
    let question_id = question.id;
    question
        .choices
        .iter_mut()
        .find(|c| c.id == choice)
        .ok_or_else(|| format!("choice {choice} is not one of question {question_id}'s choices"))
}

/// `A`, `A and B`, `A, B and C`.
fn id_list(text: &str) -> Result<Vec<i64>, String> {
    text.split(" and ")
        .flat_map(|part| part.split(','))
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(id)
        .collect()
}

/// A positive signed 64-bit id.
fn id(text: &str) -> Result<i64, String> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| format!("{text:?} is not an id (1 to 2^63-1)"))
}

/// 1 to `max` visible ASCII characters (an idempotency key, a voter id).
fn token(text: &str, max: usize) -> Result<String, String> {
    let text = text.trim_matches('"');
    if (1..=max).contains(&text.len()) && text.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{text:?} is not 1 to {max} visible ASCII characters"
        ))
    }
}

/// `question_text`, `pub_date`, `choice_texts`: texts of the state's one question (ignored by
/// states that create none or several).
fn apply_params<S: BuildHasher>(
    fixture: &mut Fixture,
    params: &HashMap<String, Value, S>,
) -> Result<(), String> {
    let wanted = ["question_text", "pub_date", "choice_texts"];
    if !wanted.iter().any(|k| params.contains_key(*k)) {
        return Ok(());
    }
    // Texts of the one question a state creates; other states have no use for them.
    let [question] = fixture.questions.as_mut_slice() else {
        return Ok(());
    };
    let text = |key: &str| -> Result<Option<String>, String> {
        match params.get(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(other) => Err(format!("parameter {key} must be a string, not {other}")),
        }
    };
    if let Some(text) = text("question_text")? {
        question.text = text;
    }
    if let Some(date) = text("pub_date")? {
        question.pub_date = date;
    }
    if let Some(texts) = params.get("choice_texts") {
        let texts = texts
            .as_array()
            .filter(|t| t.len() == question.choices.len())
            .ok_or_else(|| {
                format!(
                    "choice_texts must be an array of {} strings",
                    question.choices.len()
                )
            })?;
        for (choice, text) in question.choices.iter_mut().zip(texts) {
            text.as_str()
                .ok_or("choice_texts must hold strings")?
                .clone_into(&mut choice.text);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
