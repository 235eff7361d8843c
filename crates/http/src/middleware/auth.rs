//! Bearer-token auth on `/polls/...` (never on the operations endpoints).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError as _, web};

use crate::problem::ApiError;
use crate::state::HttpState;

/// Whether a (decoded, as routed) path is under `/polls`.
fn is_protected(path: &str) -> bool {
    path == "/polls" || path.starts_with("/polls/")
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer_token(request: &ServiceRequest) -> Option<&str> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim_start();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Refuses `/polls/...` requests without a configured bearer token (401 with
/// `WWW-Authenticate: Bearer`), before routing: unknown paths under `/polls` are protected too.
pub async fn require_bearer_token(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    // The router matches the decoded path, so the check does too (`/%70olls` is `/polls`).
    let protected = is_protected(request.match_info().as_str()) || is_protected(request.path());
    if protected {
        let allowed = match request.app_data::<web::Data<HttpState>>() {
            Some(state) if state.auth.is_enabled() => {
                bearer_token(&request).is_some_and(|token| state.auth.accepts(token))
            }
            Some(_) => true,
            None => false,
        };
        if !allowed {
            let (http_request, _) = request.into_parts();
            let response = ApiError::Unauthorized.error_response();
            return Ok(ServiceResponse::new(http_request, response).map_into_right_body());
        }
    }
    next.call(request)
        .await
        .map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protects_polls_paths_only() {
        for path in ["/polls", "/polls/", "/polls/questions/1", "/polls/nope"] {
            assert!(is_protected(path), "{path}");
        }
        for path in ["/health/live", "/version", "/openapi.json", "/pollsx", "/"] {
            assert!(!is_protected(path), "{path}");
        }
    }
}
