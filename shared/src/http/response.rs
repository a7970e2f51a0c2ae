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

/// Seconds a client waits before retrying after a 503 (a dependency failed transiently).
pub const TRANSIENT_RETRY_AFTER_SECS: u64 = 1;

/// Seconds before retrying when our storage is full: someone has to free space first.
pub const STORAGE_FULL_RETRY_AFTER_SECS: u64 = 60;

/// `{"error": {"code", "message"}}` with the status `Error::http_status` chooses, and
/// `Retry-After` when throttled or temporarily unavailable. Internal details never reach
/// the body.
pub fn error_response(err: &Error) -> Response<Body> {
    let mut response = build(err.http_status(), Body::Text(err.to_json().to_string()));
    let retry_after = match err {
        Error::Throttled {
            retry_after_secs, ..
        } => Some(*retry_after_secs),
        Error::Transient { .. } => Some(TRANSIENT_RETRY_AFTER_SECS),
        Error::StorageFull { .. } => Some(STORAGE_FULL_RETRY_AFTER_SECS),
        _ => None,
    };
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn retry_after(err: &Error) -> Option<String> {
        error_response(err)
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    #[test]
    fn a_client_is_told_when_to_retry_after_a_503_or_a_429_and_never_otherwise() {
        let unavailable = Error::Transient {
            message: "the table is throttling".to_owned(),
            source: None,
        };
        assert_eq!(error_response(&unavailable).status(), 503);
        assert_eq!(retry_after(&unavailable).as_deref(), Some("1"));
        let throttled = Error::Throttled {
            message: "slow down".to_owned(),
            retry_after_secs: 900,
        };
        assert_eq!(retry_after(&throttled).as_deref(), Some("900"));
        let full = Error::storage_full("no room");
        assert_eq!(error_response(&full).status(), 503);
        assert_eq!(retry_after(&full).as_deref(), Some("60"));
        assert_eq!(full.to_json()["error"]["code"], "storage_full");
        assert_eq!(full.to_json()["error"]["message"], "no room");
        assert_eq!(retry_after(&Error::internal_msg("boom")), None);
        assert_eq!(retry_after(&Error::not_found("x", "y")), None);
    }
}
