//! The `presign` function's routes: upload tickets and the multipart steps.

use std::sync::OnceLock;

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};

use super::{Caller, Route, Router, json_body, json_response, no_content};
use crate::error::Result;
use crate::services::{Deps, uploads};

/// The routes `presign` serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresignRoute {
    /// `POST /api/events/{event_id}/uploads`
    CreateUploads,
    /// `POST /api/events/{event_id}/uploads/{photo_id}/parts`
    SignParts,
    /// `GET /api/events/{event_id}/uploads/{photo_id}/parts`
    ListParts,
    /// `POST /api/events/{event_id}/uploads/{photo_id}/complete`
    Complete,
    /// `DELETE /api/events/{event_id}/uploads/{photo_id}`
    Abort,
}

/// The route table.
pub fn router() -> &'static Router<PresignRoute> {
    static ROUTER: OnceLock<Router<PresignRoute>> = OnceLock::new();
    ROUTER.get_or_init(|| {
        use PresignRoute::*;
        Router::new(vec![
            Route::new(
                Method::POST,
                "/api/events/{event_id}/uploads",
                CreateUploads,
            ),
            Route::new(
                Method::POST,
                "/api/events/{event_id}/uploads/{photo_id}/parts",
                SignParts,
            ),
            Route::new(
                Method::GET,
                "/api/events/{event_id}/uploads/{photo_id}/parts",
                ListParts,
            ),
            Route::new(
                Method::POST,
                "/api/events/{event_id}/uploads/{photo_id}/complete",
                Complete,
            ),
            Route::new(
                Method::DELETE,
                "/api/events/{event_id}/uploads/{photo_id}",
                Abort,
            ),
        ])
    })
}

/// Handles one request; every failure becomes its JSON error response.
pub async fn handle(deps: &Deps, req: Request) -> Response<Body> {
    super::respond(&req, dispatch(deps, &req).await)
}

/// [`handle`] in the shape `lambda_http::run` takes: it never fails the invocation.
pub async fn handle_lambda(
    deps: &Deps,
    req: Request,
) -> std::result::Result<Response<Body>, std::convert::Infallible> {
    Ok(handle(deps, req).await)
}

async fn dispatch(deps: &Deps, req: &Request) -> Result<Response<Body>> {
    let caller = Caller::from_request(req)?;
    let (route, params) = router().resolve_request(req)?;
    let max = deps.limits.max_body_bytes;
    Ok(match route {
        PresignRoute::CreateUploads => {
            let event_id = params.event_id()?;
            let body = json_body(req, max)?;
            json_response(200, &uploads::create(deps, &caller, event_id, body).await?)
        }
        PresignRoute::SignParts => {
            let (event_id, photo_id) = (params.event_id()?, params.photo_id()?);
            let body = json_body(req, max)?;
            json_response(
                200,
                &uploads::sign_parts(deps, &caller, event_id, photo_id, body).await?,
            )
        }
        PresignRoute::ListParts => {
            let (event_id, photo_id) = (params.event_id()?, params.photo_id()?);
            json_response(
                200,
                &uploads::list_parts(deps, &caller, event_id, photo_id).await?,
            )
        }
        PresignRoute::Complete => {
            let (event_id, photo_id) = (params.event_id()?, params.photo_id()?);
            let body = json_body(req, max)?;
            json_response(
                200,
                &uploads::complete(deps, &caller, event_id, photo_id, body).await?,
            )
        }
        PresignRoute::Abort => {
            let (event_id, photo_id) = (params.event_id()?, params.photo_id()?);
            uploads::abort(deps, &caller, event_id, photo_id).await?;
            no_content()
        }
    })
}
