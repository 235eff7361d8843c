use crate::{ChoiceId, ChoiceText, QuestionDetail, QuestionId, QuestionText};

/// One line of a poll's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceTally {
    pub id: ChoiceId,
    pub text: ChoiceText,
    pub votes: i64,
}

/// A poll's results: choices by votes descending, then by id ascending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Results {
    pub question_id: QuestionId,
    pub question_text: QuestionText,
    pub total_votes: i64,
    pub choices: Vec<ChoiceTally>,
}

impl Results {
    pub fn tally(detail: &QuestionDetail) -> Self {
        let mut choices: Vec<ChoiceTally> = detail
            .choices
            .iter()
            .map(|c| ChoiceTally {
                id: c.id,
                text: c.text.clone(),
                votes: c.votes,
            })
            .collect();
        choices.sort_by(|a, b| b.votes.cmp(&a.votes).then(a.id.cmp(&b.id)));
        Self {
            question_id: detail.question.id,
            question_text: detail.question.text.clone(),
            total_votes: choices.iter().map(|c| c.votes).sum(),
            choices,
        }
    }
}

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;

    use super::*;
    use crate::{Choice, PubDate, Question};

    fn choice(id: i64, votes: i64) -> Choice {
        Choice {
            id: ChoiceId::new(id).expect("positive"),
            question_id: QuestionId::new(1).expect("positive"),
            text: ChoiceText::parse(&format!("choice {id}")).expect("valid"),
            votes,
        }
    }

    #[test]
    fn orders_by_votes_then_id_and_sums() {
        let detail = QuestionDetail {
            question: Question {
                id: QuestionId::new(1).expect("positive"),
                text: QuestionText::parse("Q").expect("valid"),
                pub_date: PubDate::parse("2020-01-01").expect("valid"),
                created_at: OffsetDateTime::UNIX_EPOCH,
            },
            choices: vec![choice(1, 2), choice(2, 5), choice(3, 2), choice(4, 0)],
            version: 1,
        };
        let results = Results::tally(&detail);
        let order: Vec<i64> = results.choices.iter().map(|c| c.id.get()).collect();
        assert_eq!(order, vec![2, 1, 3, 4]);
        assert_eq!(results.total_votes, 9);
    }
}
