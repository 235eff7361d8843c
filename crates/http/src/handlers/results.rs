//! `/polls/questions/{id}/results/`.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::dto::ResultsResponse;
use crate::extract;
use crate::problem::{ApiError, Problem};
use crate::state::HttpState;

/// A poll's results: exact counts, choices by votes descending then id.
#[utoipa::path(
    get,
    path = "/polls/questions/{id}/results/",
    tag = "votes",
    operation_id = "get_results",
    params(("id" = i64, Path, minimum = 1, description = "The question's id.")),
    responses(
        (status = 200, description = "The results.", body = ResultsResponse),
        (status = 400, description = "A malformed id.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such question.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    request: HttpRequest,
    state: web::Data<HttpState>,
) -> Result<HttpResponse, ApiError> {
    let id = extract::question_id(&request)?;
    let results = state.service.results(id).await?;
    Ok(HttpResponse::Ok().json(ResultsResponse::from(results)))
}
