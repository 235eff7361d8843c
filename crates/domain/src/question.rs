use std::collections::HashSet;

use crate::{
    ChoiceId, ChoiceListError, ChoiceText, PatchError, PubDate, QuestionId, QuestionText, Timestamp,
};

/// The most choices a question may have.
pub const MAX_CHOICES: usize = 20;

/// A question as stored, without its choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub id: QuestionId,
    pub text: QuestionText,
    pub pub_date: PubDate,
    pub created_at: Timestamp,
}

/// A choice of a question with the votes it collected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub id: ChoiceId,
    pub question_id: QuestionId,
    pub text: ChoiceText,
    pub votes: i64,
}

/// A question with its choices, ordered by choice id.
///
/// `version` grows with every committed change to the question, its choices or their votes;
/// caches use it to tell a current copy from a stale one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionDetail {
    pub question: Question,
    pub choices: Vec<Choice>,
    pub version: i64,
}

/// The choices given when a question is created: at most 20, no two the same.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChoiceList(Vec<ChoiceText>);

impl ChoiceList {
    pub fn new(choices: Vec<ChoiceText>) -> Result<Self, ChoiceListError> {
        if choices.len() > MAX_CHOICES {
            return Err(ChoiceListError::TooMany { max: MAX_CHOICES });
        }
        let mut seen = HashSet::with_capacity(choices.len());
        if let Some(duplicate) = choices.iter().find(|c| !seen.insert(c.as_str())) {
            return Err(ChoiceListError::Duplicate(duplicate.as_str().to_owned()));
        }
        Ok(Self(choices))
    }

    pub fn as_slice(&self) -> &[ChoiceText] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What is needed to create a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQuestion {
    pub text: QuestionText,
    pub pub_date: PubDate,
    pub choices: ChoiceList,
}

/// A change to a question: at least one field is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionPatch {
    text: Option<QuestionText>,
    pub_date: Option<PubDate>,
}

impl QuestionPatch {
    pub fn new(text: Option<QuestionText>, pub_date: Option<PubDate>) -> Result<Self, PatchError> {
        if text.is_none() && pub_date.is_none() {
            return Err(PatchError::Empty);
        }
        Ok(Self { text, pub_date })
    }

    pub fn text(&self) -> Option<&QuestionText> {
        self.text.as_ref()
    }

    pub fn pub_date(&self) -> Option<PubDate> {
        self.pub_date
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(items: &[&str]) -> Vec<ChoiceText> {
        items
            .iter()
            .map(|t| ChoiceText::parse(t).expect("valid text"))
            .collect()
    }

    #[test]
    fn choice_list_takes_up_to_twenty() {
        let twenty: Vec<String> = (0..20).map(|i| format!("c{i}")).collect();
        let refs: Vec<&str> = twenty.iter().map(String::as_str).collect();
        assert_eq!(ChoiceList::new(texts(&refs)).map(|l| l.len()), Ok(20));

        let mut more = refs.clone();
        more.push("c20");
        assert_eq!(
            ChoiceList::new(texts(&more)),
            Err(ChoiceListError::TooMany { max: 20 })
        );
    }

    #[test]
    fn choice_list_refuses_duplicates_after_trimming() {
        let list = ChoiceList::new(texts(&["Yes", " Yes ", "No"]));
        assert_eq!(list, Err(ChoiceListError::Duplicate("Yes".to_owned())));
    }

    #[test]
    fn choice_list_is_case_sensitive() {
        assert!(ChoiceList::new(texts(&["yes", "Yes"])).is_ok());
    }

    #[test]
    fn patch_needs_a_field() {
        assert_eq!(QuestionPatch::new(None, None), Err(PatchError::Empty));
        let date = PubDate::parse("2020-01-01").ok();
        assert!(QuestionPatch::new(None, date).is_ok());
    }
}
