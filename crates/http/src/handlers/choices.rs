//! `/polls/questions/{id}/choices/` and `/polls/questions/{id}/choices/{choice_id}/`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::choice_path;
use crate::dto::{ChoiceResponse, CreateChoiceRequest};
use crate::extract::{self, MediaType};
use crate::problem::{ApiError, Problem};
use crate::state::HttpState;

/// The choices of a question, by id.
#[utoipa::path(
    get,
    path = "/polls/questions/{id}/choices/",
    tag = "choices",
    operation_id = "list_choices",
    params(("id" = i64, Path, minimum = 1, description = "The question's id.")),
    responses(
        (status = 200, description = "The question's choices by id.", body = [ChoiceResponse]),
        (status = 400, description = "A malformed id.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such question.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    request: HttpRequest,
    state: web::Data<HttpState>,
) -> Result<HttpResponse, ApiError> {
    let id = extract::question_id(&request)?;
    let choices = state.service.list_choices(id).await?;
    let body: Vec<ChoiceResponse> = choices.into_iter().map(ChoiceResponse::from).collect();
    Ok(HttpResponse::Ok().json(body))
}

/// Add a choice to a question (at most 20, texts unique within the question).
#[utoipa::path(
    post,
    path = "/polls/questions/{id}/choices/",
    tag = "choices",
    operation_id = "add_choice",
    params(("id" = i64, Path, minimum = 1, description = "The question's id.")),
    request_body(content = CreateChoiceRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The new choice.", body = ChoiceResponse,
            headers(("Location" = String, description = "`/polls/questions/{id}/choices/{choice_id}/`"))),
        (status = 400, description = "A malformed id or body.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such question.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The question already has this text, or already has 20 choices.",
            body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "A body over 16 KiB.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not `application/json`.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn add(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<HttpState>,
) -> Result<HttpResponse, ApiError> {
    let id = extract::question_id(&request)?;
    let (_, raw) = extract::read_fields(&request, payload, &[MediaType::Json]).await?;
    let text = CreateChoiceRequest::try_into_domain(raw)?;
    let choice = state.service.add_choice(id, text).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, choice_path(id, choice.id)))
        .json(ChoiceResponse::from(choice)))
}

/// One choice of a question.
#[utoipa::path(
    get,
    path = "/polls/questions/{id}/choices/{choice_id}/",
    tag = "choices",
    operation_id = "get_choice",
    params(
        ("id" = i64, Path, minimum = 1, description = "The question's id."),
        ("choice_id" = i64, Path, minimum = 1, description = "The choice's id."),
    ),
    responses(
        (status = 200, description = "The choice.", body = ChoiceResponse),
        (status = 400, description = "A malformed id.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such question, or the choice is not one of its choices.",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    request: HttpRequest,
    state: web::Data<HttpState>,
) -> Result<HttpResponse, ApiError> {
    let id = extract::question_id(&request)?;
    let choice_id = extract::choice_id(&request)?;
    let choice = state.service.get_choice(id, choice_id).await?;
    Ok(HttpResponse::Ok().json(ChoiceResponse::from(choice)))
}
