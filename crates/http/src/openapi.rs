//! The OpenAPI document, generated from the handlers' `#[utoipa::path]` attributes and the DTOs'
//! schemas, plus the conventions that hold for every operation (request ids, auth, 5xx).

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, ObjectBuilder, Ref, RefOr, Required, Type};
use utoipa::{Modify, OpenApi};

use crate::dto;
use crate::handlers::{choices, ops, questions, results, votes};
use crate::problem::{FieldError, Problem};

const DESCRIPTION: &str = "\
Questions with a publication date, each with choices that collect votes.

Conventions:
- JSON in and out, UTF-8. Request bodies over 16 KiB are refused with 413; a body without \
`Content-Type` or in a media type the endpoint does not take is a 415.
- Every `/polls/...` path also works without its trailing slash (no redirect); `Location` and \
`Link` use the canonical form with the slash. The operations endpoints have exactly their paths.
- A path with a method it does not take answers 405 with `Allow`; `HEAD` and `OPTIONS` are not \
taken. An unknown path is a 404. Unknown query parameters are ignored.
- Ids are 1 to 2^63-1; a malformed path id is a 400, a well-formed one that does not exist a 404.
- Every 4xx and 5xx body is `application/problem+json` (RFC 9457), except `/health/ready`'s 503.
- Every response carries `X-Request-Id`: the caller's when 1 to 128 visible ASCII characters, \
otherwise a new one.
- When the service runs with bearer tokens, every `/polls/...` request needs \
`Authorization: Bearer <token>` (401 otherwise); the operations endpoints never do.
- In request bodies, `null` for an optional field of a create or a vote is the same as leaving \
it out; in a PATCH it is refused (a field cannot be cleared).";

#[derive(OpenApi)]
#[openapi(
    info(title = "Poll API", version = "1", description = DESCRIPTION),
    paths(
        questions::list,
        questions::create,
        questions::get,
        questions::update,
        questions::delete,
        choices::list,
        choices::add,
        choices::get,
        votes::cast,
        results::get,
        ops::live,
        ops::ready,
        ops::version,
        ops::openapi_json,
        ops::metrics,
    ),
    components(schemas(
        Problem,
        FieldError,
        dto::CreateQuestionRequest,
        dto::CreateQuestionForm,
        dto::UpdateQuestionRequest,
        dto::QuestionSummary,
        dto::QuestionResponse,
        dto::CreateChoiceRequest,
        dto::ChoiceResponse,
        dto::CastVoteRequest,
        dto::VoteResponse,
        dto::ResultsResponse,
        dto::ChoiceResult,
        dto::LiveResponse,
        dto::ReadyResponse,
        dto::ReadyChecks,
        dto::VersionResponse,
    )),
    modifiers(&Conventions),
    tags(
        (name = "questions", description = "Questions and their publication dates."),
        (name = "choices", description = "The choices of a question."),
        (name = "votes", description = "Votes and results."),
        (name = "operations", description = "Health, version, metrics and this document; never behind auth."),
    )
)]
struct ApiDoc;

/// The OpenAPI 3.1 document of the whole API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// What every operation shares, added once instead of on each handler.
struct Conventions;

impl Modify for Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "Required on `/polls/...` when the service runs with tokens.",
                    ))
                    .build(),
            ),
        );
        for (path, item) in &mut openapi.paths.paths {
            let protected = path.starts_with("/polls/");
            for operation in operations_mut(item) {
                if protected {
                    operation.security = Some(vec![
                        SecurityRequirement::new("bearer", Vec::<String>::new()),
                        SecurityRequirement::default(),
                    ]);
                    add_problem(
                        operation,
                        "401",
                        "Auth is on and the bearer token is missing or wrong (`WWW-Authenticate: Bearer`).",
                        None,
                    );
                    add_problem(
                        operation,
                        "500",
                        "An unexpected failure (opaque body).",
                        None,
                    );
                    add_problem(
                        operation,
                        "503",
                        "PostgreSQL is unreachable (answered within 2 s).",
                        Some(("Retry-After", "Seconds to wait before retrying.")),
                    );
                }
                add_request_id(operation);
            }
        }
    }
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.options.as_mut(),
        item.head.as_mut(),
        item.patch.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}

fn string_schema() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn add_problem(
    operation: &mut Operation,
    status: &str,
    description: &str,
    header: Option<(&str, &str)>,
) {
    let mut response = ResponseBuilder::new().description(description).content(
        crate::problem::PROBLEM_JSON,
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build(),
    );
    if let Some((name, about)) = header {
        response = response.header(
            name,
            HeaderBuilder::new()
                .schema(Some(string_schema()))
                .description(Some(about))
                .build(),
        );
    }
    operation
        .responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| RefOr::T(response.build()));
}

/// `X-Request-Id` as an optional request header and on every response.
fn add_request_id(operation: &mut Operation) {
    const ABOUT: &str =
        "The caller's id when 1 to 128 visible ASCII characters, otherwise a new one.";
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .push(RefOr::T(
            ParameterBuilder::new()
                .name("X-Request-Id")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "An id to correlate logs; echoed back when 1 to 128 visible ASCII characters.",
                ))
                .schema(Some(
                    string_schema().min_length(Some(1)).max_length(Some(128)),
                ))
                .build(),
        ));
    for response in operation.responses.responses.values_mut() {
        if let RefOr::T(response) = response {
            response.headers.insert(
                "X-Request-Id".to_owned(),
                RefOr::T(
                    HeaderBuilder::new()
                        .schema(Some(string_schema()))
                        .description(Some(ABOUT))
                        .build(),
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::routes::ENDPOINTS;

    fn documented() -> BTreeSet<(String, String)> {
        let mut doc = openapi();
        let mut found = BTreeSet::new();
        for (path, item) in &mut doc.paths.paths {
            let methods = [
                ("GET", item.get.is_some()),
                ("PUT", item.put.is_some()),
                ("POST", item.post.is_some()),
                ("DELETE", item.delete.is_some()),
                ("OPTIONS", item.options.is_some()),
                ("HEAD", item.head.is_some()),
                ("PATCH", item.patch.is_some()),
                ("TRACE", item.trace.is_some()),
            ];
            for (method, present) in methods {
                if present {
                    found.insert((method.to_owned(), path.clone()));
                }
            }
        }
        found
    }

    #[test]
    fn the_document_describes_exactly_the_routes_served() {
        let served: BTreeSet<(String, String)> = ENDPOINTS
            .iter()
            .map(|e| (e.method.as_str().to_owned(), e.path.to_owned()))
            .collect();
        assert_eq!(documented(), served);
    }

    #[test]
    fn every_response_documents_the_request_id() {
        let doc = serde_json::to_value(openapi()).expect("serializable");
        let paths = doc["paths"].as_object().expect("paths");
        for (path, item) in paths {
            for (method, operation) in item.as_object().expect("path item") {
                for (status, response) in operation["responses"].as_object().expect("responses") {
                    assert!(
                        response["headers"]["X-Request-Id"].is_object(),
                        "{method} {path} {status} lacks X-Request-Id"
                    );
                }
            }
        }
    }
}
