//! `/polls/questions/{id}/votes/`.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::dto::{CastVoteRequest, VoteResponse};
use crate::extract::{self, MediaType};
use crate::problem::{ApiError, Problem};
use crate::state::HttpState;

/// Set (to `true`) on the answer to a replayed idempotent request.
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// Vote for one of the question's choices; counted exactly once.
///
/// With an `Idempotency-Key`, a retry with the same key and body (within 24 hours) answers the
/// first 201 again with `Idempotent-Replayed: true` and counts nothing; the same key with
/// another body, or while the first request is in flight, is a 409. Only a 201 is remembered.
#[utoipa::path(
    post,
    path = "/polls/questions/{id}/votes/",
    tag = "votes",
    operation_id = "cast_vote",
    params(
        ("id" = i64, Path, minimum = 1, description = "The question's id."),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255,
            pattern = "^[\\x21-\\x7E]+$",
            description = "1 to 255 visible ASCII characters; scoped to this question's votes."),
    ),
    request_body(content = CastVoteRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The vote was counted, or this is the replay of the first answer.",
            body = VoteResponse,
            headers(("Idempotent-Replayed" = String,
                description = "`true` when this answers an earlier request with the same key; nothing was counted."))),
        (status = 400, description = "A malformed id, body or `Idempotency-Key`.",
            body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such question.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The voter already voted on this question, or the key was used with another body or is in flight.",
            body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "A body over 16 KiB.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not `application/json`.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or a `choice_id` that is not one of the question's (field `choice_id`).",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn cast(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<HttpState>,
) -> Result<HttpResponse, ApiError> {
    let id = extract::question_id(&request)?;
    let key = extract::idempotency_key(request.headers())?;
    let (_, raw) = extract::read_fields(&request, payload, &[MediaType::Json]).await?;
    let vote = CastVoteRequest::try_into_domain(raw, id)?;
    let outcome = state.service.cast_vote(vote, key).await?;
    let mut response = HttpResponse::Created();
    if outcome.replayed {
        response.insert_header((IDEMPOTENT_REPLAYED, HeaderValue::from_static("true")));
    }
    Ok(response.json(VoteResponse::from(outcome.receipt)))
}
