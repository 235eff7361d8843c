//! Middleware around every request: telemetry with the request id (outermost) and bearer-token
//! auth.

mod auth;
mod request_id;
mod telemetry;

pub use auth::require_bearer_token;
pub use request_id::{REQUEST_ID, RequestId};
pub use telemetry::{REQUEST_SPAN_TARGET, observe_request};
