//! `GET /health`, for load balancers, orchestrators and test fixtures to
//! wait on (the body is described in the [server](super) docs).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::App;
use crate::storage::Storage;

pub(super) async fn health<S: Storage + Clone>(State(app): State<Arc<App<S>>>) -> Response {
    let ledger = app.ledger.ledger();
    let (status, word) = match ledger.failure() {
        None => (StatusCode::OK, "ok"),
        Some(_) => (StatusCode::SERVICE_UNAVAILABLE, "stopped"),
    };
    let body = serde_json::json!({"Status": word, "HeadSeq": ledger.head().seq});
    let mut response = Response::new(body.to_string().into());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=utf-8"),
    );
    response
}
