//! The `presign` function's routes: upload tickets and the multipart steps.

use std::sync::OnceLock;

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};

use super::{HttpApi, PathParams, Route, Router, caller, json_body, json_response, no_content};
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

/// The function's routes, for [`super::handle`].
#[derive(Debug, Clone, Copy)]
pub struct PresignApi;

impl HttpApi for PresignApi {
    type Deps = Deps;
    type Route = PresignRoute;

    fn router() -> &'static Router<PresignRoute> {
        router()
    }

    async fn dispatch(
        deps: &Deps,
        route: PresignRoute,
        params: PathParams,
        req: &Request,
    ) -> Result<Response<Body>> {
        let caller = caller(req)?;
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
}
