use std::collections::{BTreeMap, HashMap, HashSet};

use poll_domain::{
    Choice, ChoiceId, ChoiceText, IdempotencyKey, MAX_CHOICES, NewQuestion, Question,
    QuestionDetail, QuestionId, QuestionPatch, Timestamp, Vote, VoteOutcome, VoterId,
};
use poll_ports::{StoreError, VoteRequest};

#[derive(Debug)]
struct StoredQuestion {
    detail: QuestionDetail,
    voters: HashSet<VoterId>,
    keys: HashMap<IdempotencyKey, (Vote, Timestamp)>,
}

/// Everything the store holds; ids are never reused, like PostgreSQL identity columns.
#[derive(Debug, Default)]
pub(crate) struct State {
    questions: BTreeMap<QuestionId, StoredQuestion>,
    last_question_id: i64,
    last_choice_id: i64,
}

fn next_id(counter: &mut i64) -> i64 {
    *counter += 1;
    *counter
}

impl State {
    pub(crate) fn create_question(
        &mut self,
        new: &NewQuestion,
        created_at: Timestamp,
    ) -> QuestionDetail {
        let id = QuestionId::new(next_id(&mut self.last_question_id))
            .unwrap_or_else(|_| unreachable!("ids start at 1"));
        let question = Question {
            id,
            text: new.text.clone(),
            pub_date: new.pub_date,
            created_at,
        };
        let mut detail = QuestionDetail {
            question,
            choices: Vec::with_capacity(new.choices.len()),
            version: 1,
        };
        for text in new.choices.as_slice() {
            detail.choices.push(self.new_choice(id, text));
        }
        self.questions.insert(
            id,
            StoredQuestion {
                detail: detail.clone(),
                voters: HashSet::new(),
                keys: HashMap::new(),
            },
        );
        detail
    }

    fn new_choice(&mut self, question_id: QuestionId, text: &ChoiceText) -> Choice {
        let id = ChoiceId::new(next_id(&mut self.last_choice_id))
            .unwrap_or_else(|_| unreachable!("ids start at 1"));
        Choice {
            id,
            question_id,
            text: text.clone(),
            votes: 0,
        }
    }

    pub(crate) fn list_questions(&self, after: Option<QuestionId>, limit: u32) -> Vec<Question> {
        let start = after.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
        self.questions
            .range((start, std::ops::Bound::Unbounded))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|(_, stored)| stored.detail.question.clone())
            .collect()
    }

    fn stored(&mut self, id: QuestionId) -> Result<&mut StoredQuestion, StoreError> {
        self.questions
            .get_mut(&id)
            .ok_or(StoreError::QuestionNotFound)
    }

    pub(crate) fn detail(&self, id: QuestionId) -> Result<QuestionDetail, StoreError> {
        self.questions
            .get(&id)
            .map(|s| s.detail.clone())
            .ok_or(StoreError::QuestionNotFound)
    }

    pub(crate) fn update_question(
        &mut self,
        id: QuestionId,
        patch: &QuestionPatch,
    ) -> Result<QuestionDetail, StoreError> {
        let detail = &mut self.stored(id)?.detail;
        if let Some(text) = patch.text() {
            detail.question.text = text.clone();
        }
        if let Some(date) = patch.pub_date() {
            detail.question.pub_date = date;
        }
        detail.version += 1;
        Ok(detail.clone())
    }

    pub(crate) fn delete_question(&mut self, id: QuestionId) -> Result<(), StoreError> {
        self.questions
            .remove(&id)
            .map(drop)
            .ok_or(StoreError::QuestionNotFound)
    }

    pub(crate) fn add_choice(
        &mut self,
        id: QuestionId,
        text: &ChoiceText,
    ) -> Result<Choice, StoreError> {
        let detail = &self.stored(id)?.detail;
        if detail.choices.iter().any(|c| c.text == *text) {
            return Err(StoreError::DuplicateChoice);
        }
        if detail.choices.len() >= MAX_CHOICES {
            return Err(StoreError::TooManyChoices);
        }
        let choice = self.new_choice(id, text);
        let detail = &mut self.stored(id)?.detail;
        detail.choices.push(choice.clone());
        detail.version += 1;
        Ok(choice)
    }

    pub(crate) fn cast_vote(&mut self, request: &VoteRequest) -> Result<VoteOutcome, StoreError> {
        let vote = &request.vote;
        let stored = self.stored(vote.question_id)?;
        if let Some(key) = &request.idempotency_key {
            let window_start = request.now - request.idempotency_ttl;
            match stored.keys.get(key) {
                Some((first, at)) if *at > window_start => {
                    return if first == vote {
                        Ok(VoteOutcome {
                            receipt: first.clone(),
                            replayed: true,
                        })
                    } else {
                        Err(StoreError::IdempotencyConflict)
                    };
                }
                _ => {}
            }
        }
        let position = stored
            .detail
            .choices
            .iter()
            .position(|c| c.id == vote.choice_id)
            .ok_or(StoreError::ChoiceNotOfQuestion)?;
        if let Some(voter) = &vote.voter_id {
            if stored.voters.contains(voter) {
                return Err(StoreError::DuplicateVoter);
            }
            stored.voters.insert(voter.clone());
        }
        if let Some(key) = &request.idempotency_key {
            stored.keys.insert(key.clone(), (vote.clone(), request.now));
        }
        stored.detail.choices[position].votes += 1;
        stored.detail.version += 1;
        Ok(VoteOutcome {
            receipt: vote.clone(),
            replayed: false,
        })
    }

    pub(crate) fn purge_idempotency_keys(&mut self, cutoff: Timestamp) -> u64 {
        let mut removed = 0;
        for stored in self.questions.values_mut() {
            let before = stored.keys.len();
            stored.keys.retain(|_, (_, at)| *at >= cutoff);
            removed += (before - stored.keys.len()) as u64;
        }
        removed
    }
}
