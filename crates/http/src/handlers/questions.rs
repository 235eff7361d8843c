//! `/polls/questions/` and `/polls/questions/{id}/`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::question_path;
use crate::dto::{
    CreateQuestionForm, CreateQuestionRequest, QuestionResponse, QuestionSummary,
    UpdateQuestionRequest,
};
use crate::extract::{self, MediaType};
use crate::problem::{ApiError, Problem};
use crate::query::page_request;
use crate::state::HttpState;

/// List questions by id ascending, one page at a time.
///
/// Keyset pagination: `after_id` is the last id of the previous page. When more questions
/// remain, the `Link` header points to the next page with the limit in force.
#[utoipa::path(
    get,
    path = "/polls/questions/",
    tag = "questions",
    operation_id = "list_questions",
    params(
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000,
            description = "Questions per page, 1 to 1000 (default 100)."),
        ("after_id" = Option<i64>, Query, minimum = 0,
            description = "Only questions with a greater id (0 = from the start)."),
    ),
    responses(
        (status = 200, description = "A page of questions (without choices), by id ascending.",
            body = [QuestionSummary],
            headers(("Link" = String,
                description = "`</polls/questions/?after_id=N&limit=L>; rel=\"next\"` when more remain."))),
        (status = 400, description = "A malformed `limit` or `after_id`.",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    request: HttpRequest,
    state: web::Data<HttpState>,
) -> Result<HttpResponse, ApiError> {
    let page = page_request(request.query_string())?;
    let limit = page.limit.get();
    let found = state.service.list_questions(page).await?;
    let mut response = HttpResponse::Ok();
    if let Some(next) = found.next_after {
        response.insert_header((
            header::LINK,
            format!("</polls/questions/?after_id={next}&limit={limit}>; rel=\"next\""),
        ));
    }
    let body: Vec<QuestionSummary> = found.questions.iter().map(QuestionSummary::from).collect();
    Ok(response.json(body))
}

/// Create a question, optionally with its choices.
///
/// Takes JSON, or the historical form encoding with `question_text` and `pub_date` only.
#[utoipa::path(
    post,
    path = "/polls/questions/",
    tag = "questions",
    operation_id = "create_question",
    request_body(content(
        (CreateQuestionRequest = "application/json"),
        (CreateQuestionForm = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 201, description = "The question as stored, with its choices.", body = QuestionResponse,
            headers(("Location" = String, description = "`/polls/questions/{id}/`"))),
        (status = 400, description = "A malformed or empty body.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "A body over 16 KiB.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "No `Content-Type`, or one this endpoint does not take.",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (each listed in `errors`).",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<HttpState>,
) -> Result<HttpResponse, ApiError> {
    let (media, raw) =
        extract::read_fields(&request, payload, &[MediaType::Json, MediaType::Form]).await?;
    let new = match media {
        MediaType::Json => CreateQuestionRequest::try_into_domain(raw)?,
        MediaType::Form => CreateQuestionForm::try_into_domain(raw)?,
    };
    let created = state.service.create_question(new).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, question_path(created.question.id)))
        .json(QuestionResponse::from(created)))
}

/// A question with its choices (by choice id).
#[utoipa::path(
    get,
    path = "/polls/questions/{id}/",
    tag = "questions",
    operation_id = "get_question",
    params(("id" = i64, Path, minimum = 1, description = "The question's id.")),
    responses(
        (status = 200, description = "The question with its choices.", body = QuestionResponse),
        (status = 400, description = "A malformed id.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such question.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    request: HttpRequest,
    state: web::Data<HttpState>,
) -> Result<HttpResponse, ApiError> {
    let id = extract::question_id(&request)?;
    let detail = state.service.get_question(id).await?;
    Ok(HttpResponse::Ok().json(QuestionResponse::from(detail)))
}

/// Change a question's text and/or publication date.
#[utoipa::path(
    patch,
    path = "/polls/questions/{id}/",
    tag = "questions",
    operation_id = "update_question",
    params(("id" = i64, Path, minimum = 1, description = "The question's id.")),
    request_body(content = UpdateQuestionRequest, content_type = "application/json",
        description = "At least one of `question_text`, `pub_date`."),
    responses(
        (status = 200, description = "The updated question with its choices.", body = QuestionResponse),
        (status = 400, description = "A malformed id or body.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such question.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "A body over 16 KiB.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not `application/json`.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or an empty patch (field `body`).",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<HttpState>,
) -> Result<HttpResponse, ApiError> {
    let id = extract::question_id(&request)?;
    let (_, raw) = extract::read_fields(&request, payload, &[MediaType::Json]).await?;
    let patch = UpdateQuestionRequest::try_into_domain(raw)?;
    let updated = state.service.update_question(id, patch).await?;
    Ok(HttpResponse::Ok().json(QuestionResponse::from(updated)))
}

/// Delete a question with its choices and votes.
#[utoipa::path(
    delete,
    path = "/polls/questions/{id}/",
    tag = "questions",
    operation_id = "delete_question",
    params(("id" = i64, Path, minimum = 1, description = "The question's id.")),
    responses(
        (status = 204, description = "Deleted, with its choices and votes."),
        (status = 400, description = "A malformed id.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such question.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete(
    request: HttpRequest,
    state: web::Data<HttpState>,
) -> Result<HttpResponse, ApiError> {
    let id = extract::question_id(&request)?;
    state.service.delete_question(id).await?;
    Ok(HttpResponse::NoContent().finish())
}
