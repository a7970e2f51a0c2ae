//! The `gallery` function's routes: the public landing and unlock, then what a viewer
//! token opens. No route here reads a photographer's identity, and no photographer route
//! accepts a viewer token.

use std::sync::OnceLock;

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use super::{
    HttpApi, PathParams, Route, Router, bearer_token, client_address, json_body, json_response,
    page_request,
};
use crate::domain::{Cursor, JobId, Page};
use crate::error::Result;
use crate::services::{Deps, gallery};

/// The routes `gallery` serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GalleryRoute {
    /// `GET /api/g/{username}/{slug}`
    Landing,
    /// `POST /api/g/{username}/{slug}/unlock`
    Unlock,
    /// `GET /api/g/{username}/{slug}/photos`
    ListPhotos,
    /// `GET /api/g/{username}/{slug}/photos/{photo_id}/download`
    Download,
    /// `POST /api/g/{username}/{slug}/archives`
    RequestArchive,
    /// `GET /api/g/{username}/{slug}/archives/{archive_id}`
    ArchiveStatus,
}

/// The route table.
pub fn router() -> &'static Router<GalleryRoute> {
    static ROUTER: OnceLock<Router<GalleryRoute>> = OnceLock::new();
    ROUTER.get_or_init(|| {
        use GalleryRoute::*;
        let base = "/api/g/{username}/{slug}";
        Router::new(vec![
            Route::new(Method::GET, base, Landing),
            Route::new(Method::POST, "/api/g/{username}/{slug}/unlock", Unlock),
            Route::new(Method::GET, "/api/g/{username}/{slug}/photos", ListPhotos),
            Route::new(
                Method::GET,
                "/api/g/{username}/{slug}/photos/{photo_id}/download",
                Download,
            ),
            Route::new(
                Method::POST,
                "/api/g/{username}/{slug}/archives",
                RequestArchive,
            ),
            Route::new(
                Method::GET,
                "/api/g/{username}/{slug}/archives/{archive_id}",
                ArchiveStatus,
            ),
        ])
    })
}

/// The function's routes, for [`super::handle`].
#[derive(Debug, Clone, Copy)]
pub struct GalleryApi;

impl HttpApi for GalleryApi {
    type Deps = Deps;
    type Route = GalleryRoute;

    fn router() -> &'static Router<GalleryRoute> {
        router()
    }

    async fn dispatch(
        deps: &Deps,
        route: GalleryRoute,
        params: PathParams,
        req: &Request,
    ) -> Result<Response<Body>> {
        use GalleryRoute::*;
        let (username, slug) = (params.get("username")?, params.get("slug")?);
        let max = deps.limits.max_body_bytes;
        Ok(match route {
            Landing => json_response(200, &gallery::landing(deps, username, slug).await?),
            Unlock => {
                let addr = client_address(req, deps.behind_cloudfront)?;
                let body = json_body(req, max)?;
                json_response(
                    200,
                    &gallery::unlock(deps, username, slug, addr, body).await?,
                )
            }
            ListPhotos => {
                let viewer = gallery::viewer(deps, username, slug, bearer_token(req)).await?;
                let page: Page<_> =
                    gallery::list_photos(deps, &viewer, &page_request(req)?).await?;
                json_response(
                    200,
                    &PageBody {
                        items: page.items,
                        next_cursor: page.next,
                    },
                )
            }
            Download => {
                let viewer = gallery::viewer(deps, username, slug, bearer_token(req)).await?;
                json_response(
                    200,
                    &gallery::download(deps, &viewer, params.photo_id()?).await?,
                )
            }
            RequestArchive => {
                let viewer = gallery::viewer(deps, username, slug, bearer_token(req)).await?;
                let body = json_body(req, max)?;
                json_response(202, &gallery::request_archive(deps, &viewer, body).await?)
            }
            ArchiveStatus => {
                let viewer = gallery::viewer(deps, username, slug, bearer_token(req)).await?;
                let archive_id = JobId::parse(params.get("archive_id")?)?;
                json_response(
                    200,
                    &gallery::archive_status(deps, &viewer, archive_id).await?,
                )
            }
        })
    }
}

/// A page as the API shows it.
#[derive(Debug, Serialize)]
struct PageBody<T> {
    items: Vec<T>,
    next_cursor: Option<Cursor>,
}
