//! The actix application and server: routes, middleware, and problem+json for every error that
//! actix's own extractors could raise.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError, UrlencodedError};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};

use crate::extract::BODY_LIMIT;
use crate::middleware::{observe_request, require_bearer_token};
use crate::problem::ApiError;
use crate::routes;
use crate::state::HttpState;

/// How the HTTP server runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Worker threads (each runs its own event loop).
    pub workers: usize,
    /// How long a graceful stop waits for requests in flight.
    pub shutdown_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            workers: 2,
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

/// The whole API as an actix `App` (for `serve`, or `actix_web::test` in unit tests).
pub fn app(
    state: web::Data<HttpState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(state)
        .app_data(web::PayloadConfig::new(BODY_LIMIT))
        .app_data(
            web::JsonConfig::default()
                .limit(BODY_LIMIT)
                .error_handler(|e, _| json_error(e).into()),
        )
        .app_data(
            web::FormConfig::default()
                .limit(BODY_LIMIT)
                .error_handler(|e, _| form_error(e).into()),
        )
        .app_data(web::PathConfig::default().error_handler(|e, _| path_error(&e).into()))
        .app_data(web::QueryConfig::default().error_handler(|e, _| query_error(&e).into()))
        .configure(routes::configure)
        .default_service(web::to(routes::not_found))
        .wrap(from_fn(require_bearer_token))
        .wrap(from_fn(observe_request))
}

/// Starts serving on `listener`. The returned server runs when awaited (or spawned); it does not
/// handle signals: stop it with its handle (`Server::handle().stop(true)`).
pub fn serve(
    listener: TcpListener,
    state: HttpState,
    options: &ServeOptions,
) -> std::io::Result<Server> {
    let state = web::Data::new(state);
    let shutdown_secs = options.shutdown_timeout.as_secs();
    let server = HttpServer::new(move || app(state.clone()))
        .workers(options.workers.max(1))
        .shutdown_timeout(shutdown_secs)
        .disable_signals()
        .listen(listener)?
        .run();
    Ok(server)
}

/// Only `/metrics`, for a listener of its own (`metrics.bind`): scrapes then never queue behind
/// API requests, and the port can stay private to the scraper.
pub fn metrics_app(
    state: web::Data<HttpState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(state)
        .route("/metrics", web::get().to(crate::handlers::ops::metrics))
        .default_service(web::to(routes::not_found))
}

/// Starts serving `/metrics` alone on `listener`, with one worker; stop it like [`serve`]'s.
pub fn serve_metrics(listener: TcpListener, state: HttpState) -> std::io::Result<Server> {
    let state = web::Data::new(state);
    let server = HttpServer::new(move || metrics_app(state.clone()))
        .workers(1)
        .shutdown_timeout(1)
        .disable_signals()
        .listen(listener)?
        .run();
    Ok(server)
}

fn json_error(error: JsonPayloadError) -> ApiError {
    match error {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ApiError::PayloadTooLarge { limit: BODY_LIMIT }
        }
        JsonPayloadError::ContentType => {
            ApiError::UnsupportedMediaType("This endpoint takes application/json.".to_owned())
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::invalid_field("body", e),
        other => ApiError::BadRequest(format!("The request body is malformed: {other}.")),
    }
}

fn form_error(error: UrlencodedError) -> ApiError {
    match error {
        UrlencodedError::Overflow { .. } => ApiError::PayloadTooLarge { limit: BODY_LIMIT },
        UrlencodedError::ContentType => ApiError::UnsupportedMediaType(
            "This endpoint takes application/x-www-form-urlencoded.".to_owned(),
        ),
        other => ApiError::BadRequest(format!("The form body is malformed: {other}.")),
    }
}

fn path_error(error: &PathError) -> ApiError {
    ApiError::BadRequest(format!("The path is malformed: {error}."))
}

fn query_error(error: &QueryPayloadError) -> ApiError {
    ApiError::BadRequest(format!("The query string is malformed: {error}."))
}
