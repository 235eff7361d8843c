//! One method per endpoint of the contract.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};

use crate::client::{Call, Client, IDEMPOTENT_REPLAYED, visible_header};
use crate::error::{ClientError, error_from_body};
use crate::types::{
    Choice, ChoiceId, ListQuestions, Liveness, NewChoice, NewQuestion, NewVote, Page, Question,
    QuestionDetail, QuestionId, QuestionPatch, Readiness, Results, VersionInfo, Vote, VoteReceipt,
};

impl Client {
    // ---- questions ----

    /// One page of questions, by id ascending (`GET /polls/questions/`).
    ///
    /// ```no_run
    /// use poll_client::ListQuestions;
    /// # async fn example(client: poll_client::Client) -> Result<(), poll_client::ClientError> {
    /// let mut page = client.list_questions(ListQuestions::default().limit(50)).await?;
    /// loop {
    ///     for question in &page.items {
    ///         println!("{} {}", question.id, question.question_text);
    ///     }
    ///     match client.next_page(&page).await? {
    ///         Some(next) => page = next,
    ///         None => break,
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn list_questions(
        &self,
        query: ListQuestions,
    ) -> Result<Page<Question>, ClientError> {
        let mut url = self.endpoint("polls/questions/")?;
        if query.limit.is_some() || query.after_id.is_some() {
            let mut pairs = url.query_pairs_mut();
            if let Some(after_id) = query.after_id {
                pairs.append_pair("after_id", &after_id.to_string());
            }
            if let Some(limit) = query.limit {
                pairs.append_pair("limit", &limit.to_string());
            }
        }
        self.page(url).await
    }

    /// The page after `page`, following its `Link: rel="next"`; `None` after the last page.
    pub async fn next_page(
        &self,
        page: &Page<Question>,
    ) -> Result<Option<Page<Question>>, ClientError> {
        match &page.next {
            Some(next) => self.page(next.clone()).await.map(Some),
            None => Ok(None),
        }
    }

    /// Every question, following `Link: rel="next"` from page to page (`page_size` per request,
    /// or the service's default).
    ///
    /// # Errors
    /// Besides the errors of each page, [`ClientError::InvalidResponse`] when a next link leads
    /// back to a page already read or off the service's origin.
    pub async fn list_all_questions(
        &self,
        page_size: Option<u32>,
    ) -> Result<Vec<Question>, ClientError> {
        let mut page = self
            .list_questions(ListQuestions {
                limit: page_size,
                after_id: None,
            })
            .await?;
        let mut all = std::mem::take(&mut page.items);
        let mut seen = HashSet::new();
        while let Some(next) = page.next.take() {
            if !seen.insert(next.clone()) {
                return Err(ClientError::InvalidResponse(format!(
                    "the next link leads back to {next}"
                )));
            }
            page = self.page(next).await?;
            all.append(&mut page.items);
        }
        Ok(all)
    }

    /// Creates a question, with its choices if any (`POST /polls/questions/`). Never retried.
    pub async fn create_question(&self, new: &NewQuestion) -> Result<QuestionDetail, ClientError> {
        let call = Call::new(Method::POST, self.endpoint("polls/questions/")?).json(new)?;
        self.json(self.send(&call).await?).await
    }

    /// A question with its choices (`GET /polls/questions/{id}/`).
    pub async fn get_question(&self, id: QuestionId) -> Result<QuestionDetail, ClientError> {
        let call = Call::new(Method::GET, self.question_url(id, "")?);
        self.json(self.send(&call).await?).await
    }

    /// Changes the fields the patch sets (`PATCH /polls/questions/{id}/`). Never retried.
    pub async fn update_question(
        &self,
        id: QuestionId,
        patch: &QuestionPatch,
    ) -> Result<QuestionDetail, ClientError> {
        let call = Call::new(Method::PATCH, self.question_url(id, "")?).json(patch)?;
        self.json(self.send(&call).await?).await
    }

    /// Deletes a question with its choices and votes (`DELETE /polls/questions/{id}/`).
    pub async fn delete_question(&self, id: QuestionId) -> Result<(), ClientError> {
        let call = Call::new(Method::DELETE, self.question_url(id, "")?);
        self.empty(self.send(&call).await?).await
    }

    // ---- choices ----

    /// The question's choices by id (`GET /polls/questions/{id}/choices/`).
    pub async fn list_choices(&self, question: QuestionId) -> Result<Vec<Choice>, ClientError> {
        let call = Call::new(Method::GET, self.question_url(question, "choices/")?);
        self.json(self.send(&call).await?).await
    }

    /// Adds a choice (`POST /polls/questions/{id}/choices/`). Never retried.
    pub async fn add_choice(
        &self,
        question: QuestionId,
        choice_text: &str,
    ) -> Result<Choice, ClientError> {
        let url = self.question_url(question, "choices/")?;
        let call = Call::new(Method::POST, url).json(&NewChoice { choice_text })?;
        self.json(self.send(&call).await?).await
    }

    /// One choice of the question (`GET /polls/questions/{id}/choices/{choice_id}/`).
    pub async fn get_choice(
        &self,
        question: QuestionId,
        choice: ChoiceId,
    ) -> Result<Choice, ClientError> {
        let url = self.question_url(question, &format!("choices/{choice}/"))?;
        self.json(self.send(&Call::new(Method::GET, url)).await?)
            .await
    }

    // ---- votes and results ----

    /// Casts a vote (`POST /polls/questions/{id}/votes/`).
    ///
    /// With an `idempotency_key` (1 to 255 visible ASCII characters, unique per intended vote)
    /// the call is safe to repeat: it is retried under the retry policy, and a repeat the service
    /// recognises comes back with [`VoteReceipt::replayed`] set, counting nothing. Without a key
    /// it is sent exactly once.
    ///
    /// ```no_run
    /// use poll_client::{ClientError, NewVote};
    /// # async fn example(client: poll_client::Client) -> Result<(), ClientError> {
    /// let ballot = NewVote::new(2).voter("employee-118");
    /// match client.vote(1, &ballot, Some("ballot-118-q1")).await {
    ///     Ok(receipt) if receipt.replayed => println!("already counted"),
    ///     Ok(_) => println!("counted"),
    ///     Err(e) if e.is_conflict() => println!("this voter already voted"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`ClientError::InvalidInput`] for a malformed key (nothing is sent); otherwise as any
    /// call: 404, 409 (voter already voted, key reused with another vote or still in flight), 422
    /// (a choice not of this question).
    pub async fn vote(
        &self,
        question: QuestionId,
        vote: &NewVote,
        idempotency_key: Option<&str>,
    ) -> Result<VoteReceipt, ClientError> {
        let mut call =
            Call::new(Method::POST, self.question_url(question, "votes/")?).json(vote)?;
        if let Some(key) = idempotency_key {
            call.idempotency_key = Some(visible_header(key, 255, "Idempotency-Key")?);
            call.retry = true;
        }
        let response = self.send(&call).await?;
        let replayed = response
            .headers()
            .get(IDEMPOTENT_REPLAYED)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        let vote: Vote = self.json(response).await?;
        Ok(VoteReceipt { vote, replayed })
    }

    /// The question's results, choices by votes descending (`GET /polls/questions/{id}/results/`).
    pub async fn results(&self, question: QuestionId) -> Result<Results, ClientError> {
        let call = Call::new(Method::GET, self.question_url(question, "results/")?);
        self.json(self.send(&call).await?).await
    }

    // ---- operations ----

    /// `GET /health/live` (not retried: a probe reports the present).
    pub async fn health_live(&self) -> Result<Liveness, ClientError> {
        let call = Call::new(Method::GET, self.endpoint("health/live")?).no_retry();
        self.json(self.send(&call).await?).await
    }

    /// `GET /health/ready`, not retried. A 503 with the readiness body is an `Ok` whose
    /// `status` is `unready` (see [`Readiness::is_serving`]).
    pub async fn health_ready(&self) -> Result<Readiness, ClientError> {
        let call = Call::new(Method::GET, self.endpoint("health/ready")?).no_retry();
        let response = self.send(&call).await?;
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            let body = response
                .bytes()
                .await
                .map_err(|e| self.transport_error(e))?;
            return serde_json::from_slice(&body).map_err(|_| error_from_body(503, &body));
        }
        self.json(response).await
    }

    /// `GET /version`.
    pub async fn version(&self) -> Result<VersionInfo, ClientError> {
        let call = Call::new(Method::GET, self.endpoint("version")?);
        self.json(self.send(&call).await?).await
    }
}
