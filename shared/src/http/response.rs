//! Responses: JSON bodies, 204s, and the one mapping of `Error` to an HTTP response.

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

use crate::error::Error;

/// A JSON response with `status`. Responses carry signed URLs, so nothing is cached.
pub fn json_response<T: Serialize>(status: u16, body: &T) -> Response<Body> {
    match serde_json::to_string(body) {
        Ok(text) => build(status, Body::Text(text)),
        Err(e) => error_response(&Error::internal("response serialisation failed", e)),
    }
}

/// `204 No Content`.
pub fn no_content() -> Response<Body> {
    build(204, Body::Empty)
}

/// `{"error": {"code", "message"}}` with the status `Error::http_status` chooses, and
/// `Retry-After` when throttled. Internal details never reach the body.
pub fn error_response(err: &Error) -> Response<Body> {
    let mut response = build(err.http_status(), Body::Text(err.to_json().to_string()));
    if let Error::Throttled {
        retry_after_secs, ..
    } = err
    {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
    }
    response
}

fn build(status: u16, body: Body) -> Response<Body> {
    let has_body = !matches!(body, Body::Empty);
    let mut response = Response::new(body);
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    if has_body {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
