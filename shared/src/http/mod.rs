//! HTTP glue shared by every photographer route: who is calling, reading JSON bodies and
//! query strings, matching routes, and turning results and errors into responses.
//!
//! Handlers receive a `lambda_http::Request` whether they run in Lambda behind API Gateway
//! or in the local stack, which builds the same request context.

pub mod body;
pub mod events_api;
pub mod identity;
pub mod presign_api;
pub mod query;
pub mod response;
pub mod router;

pub use body::json_body;
pub use identity::Caller;
pub use query::{page_request, query_param};
pub use response::{error_response, json_response, no_content};
pub use router::{PathParams, Route, Router};

use lambda_http::{Body, Request, RequestExt, Response};

use crate::error::Error;

/// Logs the outcome of a request and turns an error into its response. Client errors are
/// logged at `info`, ours at `error` with their source (which never reaches the client).
pub fn respond(req: &Request, result: Result<Response<Body>, Error>) -> Response<Body> {
    let request_id = request_id(req);
    match result {
        Ok(response) => {
            tracing::info!(
                method = %req.method(),
                path = %req.uri().path(),
                status = response.status().as_u16(),
                request_id,
                "request handled"
            );
            response
        }
        Err(err) => {
            let status = err.http_status();
            if status >= 500 {
                let source = std::error::Error::source(&err).map(ToString::to_string);
                tracing::error!(
                    method = %req.method(),
                    path = %req.uri().path(),
                    status,
                    code = err.code(),
                    error = %err,
                    source,
                    request_id,
                    "request failed"
                );
            } else {
                tracing::info!(
                    method = %req.method(),
                    path = %req.uri().path(),
                    status,
                    code = err.code(),
                    request_id,
                    "request refused"
                );
            }
            error_response(&err)
        }
    }
}

fn request_id(req: &Request) -> Option<String> {
    match req.request_context_ref() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(ctx)) => ctx.request_id.clone(),
        _ => None,
    }
}
