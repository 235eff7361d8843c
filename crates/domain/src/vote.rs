use crate::{ChoiceId, QuestionId, VoterId};

/// A vote for one choice of a question, optionally by a named voter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Vote {
    pub question_id: QuestionId,
    pub choice_id: ChoiceId,
    pub voter_id: Option<VoterId>,
}

/// What a counted vote answers: the same fields as the vote itself.
pub type VoteReceipt = Vote;

/// The outcome of casting a vote: counted now, or the replay of an earlier identical request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteOutcome {
    pub receipt: VoteReceipt,
    /// `true` when an earlier request with the same idempotency key was answered instead;
    /// nothing was counted this time.
    pub replayed: bool,
}
