//! One request path for every HTTP function: match the route, run it, log the outcome, turn
//! an error into its JSON response. A function only declares its route table and what each
//! route does ([`HttpApi`]); `handle` / `handle_lambda` do the rest the same way for all.

use std::future::Future;
use std::time::Instant;

use lambda_http::{Body, Request, RequestExt, Response};

use super::response::error_response;
use super::router::{PathParams, Router};
use crate::error::{Error, Result};

/// An HTTP function: its routes and what each does.
pub trait HttpApi {
    /// What the routes need, built once per process.
    type Deps: Sync;
    /// The identifiers of its routes.
    type Route: Copy + Send + Sync + 'static;

    /// The route table (data, so tests and the local stack can enumerate it).
    fn router() -> &'static Router<Self::Route>;

    /// Runs one matched route. Errors become their JSON response in [`handle`].
    fn dispatch(
        deps: &Self::Deps,
        route: Self::Route,
        params: PathParams,
        req: &Request,
    ) -> impl Future<Output = Result<Response<Body>>> + Send;
}

/// Handles one request; every failure becomes its JSON error response.
pub async fn handle<A: HttpApi>(deps: &A::Deps, req: Request) -> Response<Body> {
    let started = Instant::now();
    let (pattern, params, result) = match A::router().resolve_route(&req) {
        Ok((route, params)) => {
            let logged = params.clone();
            let result = A::dispatch(deps, route.id, params, &req).await;
            (route.pattern, logged, result)
        }
        Err(err) => ("(no route)", PathParams::default(), Err(err)),
    };
    log_outcome(&req, pattern, &params, &result, started);
    match result {
        Ok(response) => response,
        Err(err) => error_response(&err),
    }
}

/// [`handle`] in the shape `lambda_http::run` takes: it never fails the invocation.
pub async fn handle_lambda<A: HttpApi>(
    deps: &A::Deps,
    req: Request,
) -> std::result::Result<Response<Body>, std::convert::Infallible> {
    Ok(handle::<A>(deps, req).await)
}

/// One line per request. Only the route's pattern and its `*_id` parameters are logged,
/// never the raw path, query or headers: paths can carry access codes, and headers tokens.
/// Client errors are logged at `info`, ours at `error` with their source (which never
/// reaches the client).
fn log_outcome(
    req: &Request,
    route: &'static str,
    params: &PathParams,
    result: &Result<Response<Body>>,
    started: Instant,
) {
    let request_id = request_id(req);
    let method = req.method().as_str();
    let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let ids = params.ids_for_logs();
    match result {
        Ok(response) => tracing::info!(
            method,
            route,
            ids,
            status = response.status().as_u16(),
            ms,
            request_id,
            "request handled"
        ),
        Err(err) if err.http_status() >= 500 => {
            let source = std::error::Error::source(err).map(ToString::to_string);
            tracing::error!(
                method,
                route,
                ids,
                status = err.http_status(),
                code = err.code(),
                error = %err,
                source,
                ms,
                request_id,
                "request failed"
            );
        }
        Err(err) => tracing::info!(
            method,
            route,
            ids,
            status = err.http_status(),
            code = err.code(),
            ms,
            request_id,
            "request refused"
        ),
    }
}

fn request_id(req: &Request) -> Option<String> {
    match req.request_context_ref() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(ctx)) => ctx.request_id.clone(),
        _ => None,
    }
}

/// The 404 of a path no route matches.
pub fn route_not_found() -> Error {
    Error::not_found("route_not_found", "no such route")
}
