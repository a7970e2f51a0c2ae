//! The `events` function's routes: profile, events, photos, derivatives, access codes.

use std::sync::OnceLock;

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use super::{
    HttpApi, PathParams, Route, Router, caller, json_body, json_response, no_content, page_request,
    query_param,
};
use crate::domain::{Cursor, Page, PhotoStatus};
use crate::error::{Error, Result};
use crate::ports::{PhotoQuery, PhotoSort};
use crate::services::{Deps, codes, derivatives, events, photos, profile};

/// The routes `events` serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventsRoute {
    /// `GET /api/me`
    GetMe,
    /// `PUT /api/me`
    PutMe,
    /// `POST /api/events`
    CreateEvent,
    /// `GET /api/events`
    ListEvents,
    /// `GET /api/events/{event_id}`
    GetEvent,
    /// `PATCH /api/events/{event_id}`
    PatchEvent,
    /// `DELETE /api/events/{event_id}`
    DeleteEvent,
    /// `GET /api/events/{event_id}/photos`
    ListPhotos,
    /// `GET /api/events/{event_id}/photos/{photo_id}`
    GetPhoto,
    /// `DELETE /api/events/{event_id}/photos/{photo_id}`
    DeletePhoto,
    /// `POST /api/events/{event_id}/photos/{photo_id}/retry`
    RetryPhoto,
    /// `POST /api/events/{event_id}/photos/{photo_id}/derivatives`
    DeriveOne,
    /// `POST /api/events/{event_id}/derivatives`
    CreateDeriveJob,
    /// `GET /api/events/{event_id}/derivatives/{job_id}`
    GetDeriveJob,
    /// `POST /api/events/{event_id}/codes`
    CreateCode,
    /// `GET /api/events/{event_id}/codes`
    ListCodes,
    /// `PATCH /api/events/{event_id}/codes/{code}`
    PatchCode,
    /// `DELETE /api/events/{event_id}/codes/{code}`
    RevokeCode,
}

/// The route table.
pub fn router() -> &'static Router<EventsRoute> {
    static ROUTER: OnceLock<Router<EventsRoute>> = OnceLock::new();
    ROUTER.get_or_init(|| {
        use EventsRoute::*;
        let ev = "/api/events/{event_id}";
        let photo = "/api/events/{event_id}/photos/{photo_id}";
        let code = "/api/events/{event_id}/codes/{code}";
        Router::new(vec![
            Route::new(Method::GET, "/api/me", GetMe),
            Route::new(Method::PUT, "/api/me", PutMe),
            Route::new(Method::POST, "/api/events", CreateEvent),
            Route::new(Method::GET, "/api/events", ListEvents),
            Route::new(Method::GET, ev, GetEvent),
            Route::new(Method::PATCH, ev, PatchEvent),
            Route::new(Method::DELETE, ev, DeleteEvent),
            Route::new(Method::GET, "/api/events/{event_id}/photos", ListPhotos),
            Route::new(Method::GET, photo, GetPhoto),
            Route::new(Method::DELETE, photo, DeletePhoto),
            Route::new(
                Method::POST,
                "/api/events/{event_id}/photos/{photo_id}/retry",
                RetryPhoto,
            ),
            Route::new(
                Method::POST,
                "/api/events/{event_id}/photos/{photo_id}/derivatives",
                DeriveOne,
            ),
            Route::new(
                Method::POST,
                "/api/events/{event_id}/derivatives",
                CreateDeriveJob,
            ),
            Route::new(
                Method::GET,
                "/api/events/{event_id}/derivatives/{job_id}",
                GetDeriveJob,
            ),
            Route::new(Method::POST, "/api/events/{event_id}/codes", CreateCode),
            Route::new(Method::GET, "/api/events/{event_id}/codes", ListCodes),
            Route::new(Method::PATCH, code, PatchCode),
            Route::new(Method::DELETE, code, RevokeCode),
        ])
    })
}

/// A page as the API shows it.
#[derive(Debug, Serialize)]
struct PageBody<T> {
    items: Vec<T>,
    next_cursor: Option<Cursor>,
}

fn page<T: Serialize>(p: Page<T>) -> Response<Body> {
    json_response(
        200,
        &PageBody {
            items: p.items,
            next_cursor: p.next,
        },
    )
}

/// The function's routes, for [`super::handle`].
#[derive(Debug, Clone, Copy)]
pub struct EventsApi;

impl HttpApi for EventsApi {
    type Deps = Deps;
    type Route = EventsRoute;

    fn router() -> &'static Router<EventsRoute> {
        router()
    }

    async fn dispatch(
        deps: &Deps,
        route: EventsRoute,
        params: PathParams,
        req: &Request,
    ) -> Result<Response<Body>> {
        use EventsRoute::*;
        let caller = caller(req)?;
        let max = deps.limits.max_body_bytes;
        let c = &caller;
        Ok(match route {
            GetMe => json_response(200, &profile::me(deps, c).await?),
            PutMe => json_response(
                200,
                &profile::set_username(deps, c, json_body(req, max)?).await?,
            ),
            CreateEvent => {
                json_response(201, &events::create(deps, c, json_body(req, max)?).await?)
            }
            ListEvents => page(events::list(deps, c, &page_request(req)?).await?),
            GetEvent => json_response(200, &events::get(deps, c, params.event_id()?).await?),
            PatchEvent => {
                let event_id = params.event_id()?;
                json_response(
                    200,
                    &events::patch(deps, c, event_id, json_body(req, max)?).await?,
                )
            }
            DeleteEvent => {
                events::delete(deps, c, params.event_id()?).await?;
                no_content()
            }
            ListPhotos => {
                let event_id = params.event_id()?;
                let list = photos::ListPhotos {
                    query: photo_query(req)?,
                    page: page_request(req)?,
                };
                page(photos::list(deps, c, event_id, &list).await?)
            }
            GetPhoto => {
                let (e, p) = ids(&params)?;
                json_response(200, &photos::get(deps, c, e, p).await?)
            }
            DeletePhoto => {
                let (e, p) = ids(&params)?;
                photos::delete(deps, c, e, p).await?;
                no_content()
            }
            RetryPhoto => {
                let (e, p) = ids(&params)?;
                json_response(200, &photos::retry(deps, c, e, p).await?)
            }
            DeriveOne => {
                let (e, p) = ids(&params)?;
                let body = json_body(req, max)?;
                json_response(200, &derivatives::derive_one(deps, c, e, p, body).await?)
            }
            CreateDeriveJob => {
                let event_id = params.event_id()?;
                let body = json_body(req, max)?;
                json_response(
                    202,
                    &derivatives::create_job(deps, c, event_id, body).await?,
                )
            }
            GetDeriveJob => {
                let (e, j) = (params.event_id()?, params.job_id()?);
                json_response(200, &derivatives::get_job(deps, c, e, j).await?)
            }
            CreateCode => {
                let event_id = params.event_id()?;
                let body = json_body(req, max)?;
                json_response(201, &codes::create(deps, c, event_id, body).await?)
            }
            ListCodes => {
                let event_id = params.event_id()?;
                page(codes::list(deps, c, event_id, &page_request(req)?).await?)
            }
            PatchCode => {
                let event_id = params.event_id()?;
                let body = json_body(req, max)?;
                json_response(
                    200,
                    &codes::patch(deps, c, event_id, params.get("code")?, body).await?,
                )
            }
            RevokeCode => {
                let event_id = params.event_id()?;
                codes::revoke(deps, c, event_id, params.get("code")?).await?;
                no_content()
            }
        })
    }
}

fn ids(params: &PathParams) -> Result<(crate::domain::EventId, crate::domain::PhotoId)> {
    Ok((params.event_id()?, params.photo_id()?))
}

/// `?status=&sort=` of the photo list.
fn photo_query(req: &Request) -> Result<PhotoQuery> {
    let status = match query_param(req, "status").as_deref() {
        None => None,
        Some(s) => Some(PhotoStatus::parse(s).ok_or_else(|| {
            Error::invalid(
                "invalid_status",
                "status must be pending, processing, ready or failed",
            )
        })?),
    };
    let sort = match query_param(req, "sort").as_deref() {
        None | Some("uploaded") => PhotoSort::Uploaded,
        Some("taken") => PhotoSort::Taken,
        Some(_) => {
            return Err(Error::invalid(
                "invalid_sort",
                "sort must be uploaded or taken",
            ));
        }
    };
    Ok(PhotoQuery { status, sort })
}
