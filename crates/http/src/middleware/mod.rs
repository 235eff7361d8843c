//! Middleware around every request: the request id (outermost) and bearer-token auth.

mod auth;
mod request_id;

pub use auth::require_bearer_token;
pub use request_id::{REQUEST_ID, RequestId, assign_request_id};
