//! One HTTP entry for the whole stack, doing what API Gateway, S3 and CloudFront do in AWS:
//!
//! - `/api/…`: the route table of every HTTP function (presign, events, gallery, and the
//!   local accounts), each handled by that function's own handler; photographer routes need
//!   a valid token (401 otherwise, as the JWT authorizer answers), whose claims go into the
//!   request context; bodies over API Gateway's 10 MB payload limit are refused with 413;
//!   unknown routes get a JSON 404, a known path with another method a JSON 405.
//! - `/blobs/…`: presigned uploads and downloads, checked by `FsBlobs` with S3's rules.
//! - anything else: the web app's files ([`super::static_files`]).

use std::net::IpAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::http::{HeaderValue, Method, StatusCode, header};
use hyper::{Request, Response};
use lambda_http::http::Method as LambdaMethod;
use shared::Error;
use shared::adapters::FsBlobs;
use shared::adapters::fs_blobs::BlobBody;
use shared::domain::Timestamp;
use shared::http::accounts_api::{self, AccountsApi, AccountsDeps};
use shared::http::events_api::{self, EventsApi};
use shared::http::gallery_api::{self, GalleryApi};
use shared::http::presign_api::{self, PresignApi};
use shared::http::{bearer_in, error_response, handle, json_response};
use shared::local_auth::{Claims, JwtKeys};
use shared::services::Deps;
use shared::wiring::local::BLOBS_PATH;

use super::apigw;
use super::slow_clients::IdleTimeoutBody;
use super::static_files::WebFiles;

/// A request's body as the gateway reads it: hyper's, failing once the client goes silent.
pub type RequestBody = IdleTimeoutBody<Incoming>;

/// API Gateway's payload limit: larger requests never reach a function.
pub const MAX_API_BODY_BYTES: usize = 10 * 1024 * 1024;

/// Which function a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Accounts,
    Presign,
    Events,
    Gallery,
}

impl Target {
    /// Whether the route sits behind the JWT authorizer.
    fn needs_token(self) -> bool {
        matches!(self, Self::Presign | Self::Events)
    }
}

/// Everything the gateway dispatches to.
#[derive(Debug)]
pub struct Gateway {
    /// The `presign` function's deps.
    pub presign: Deps,
    /// The `events` function's deps.
    pub events: Deps,
    /// The `gallery` function's deps.
    pub gallery: Deps,
    /// The account routes' deps.
    pub accounts: AccountsDeps,
    /// Verifies photographer tokens.
    pub jwt: JwtKeys,
    /// Answers presigned requests.
    pub blobs: Arc<FsBlobs>,
    /// The web app.
    pub web: WebFiles,
}

const METHODS: [LambdaMethod; 5] = [
    LambdaMethod::GET,
    LambdaMethod::POST,
    LambdaMethod::PUT,
    LambdaMethod::PATCH,
    LambdaMethod::DELETE,
];

/// The function serving `method path`: `Ok(None)` when nothing does; `Err` with the
/// methods the path does answer to when only the method is wrong.
fn target_of(method: &LambdaMethod, path: &str) -> Result<Option<Target>, Vec<&'static str>> {
    let resolves = |method: &LambdaMethod| {
        let candidates = [
            (
                Target::Accounts,
                accounts_api::router().resolve(method, path).is_ok(),
            ),
            (
                Target::Presign,
                presign_api::router().resolve(method, path).is_ok(),
            ),
            (
                Target::Events,
                events_api::router().resolve(method, path).is_ok(),
            ),
            (
                Target::Gallery,
                gallery_api::router().resolve(method, path).is_ok(),
            ),
        ];
        candidates.into_iter().find(|(_, ok)| *ok).map(|(t, _)| t)
    };
    if let Some(target) = resolves(method) {
        return Ok(Some(target));
    }
    let allowed: Vec<&'static str> = METHODS
        .iter()
        .filter(|m| resolves(m).is_some())
        .map(LambdaMethod::as_str)
        .collect();
    match allowed.is_empty() {
        true => Ok(None),
        false => Err(allowed),
    }
}

impl Gateway {
    /// Answers one request from `peer`.
    pub async fn serve(&self, req: Request<RequestBody>, peer: IpAddr) -> Response<BlobBody> {
        let path = req.uri().path();
        if path == BLOBS_PATH || path.starts_with(&format!("{BLOBS_PATH}/")) {
            return self.blobs.serve(req).await;
        }
        if path == "/api" || path.starts_with("/api/") {
            return self.api(req, peer).await;
        }
        self.web.serve(req.method(), path, req.headers()).await
    }

    async fn api(&self, req: Request<RequestBody>, peer: IpAddr) -> Response<BlobBody> {
        let method = req.method().clone();
        let target = match target_of(&method, req.uri().path()) {
            Ok(Some(target)) => target,
            Ok(None) => {
                let error = Error::not_found("route_not_found", "no such route");
                return to_blob_response(error_response(&error));
            }
            Err(allowed) => return method_not_allowed(&method, &allowed),
        };
        match self.dispatch(target, req, peer).await {
            Ok(response) => response,
            Err(error) => to_blob_response(error_response(&error)),
        }
    }

    async fn dispatch(
        &self,
        target: Target,
        req: Request<RequestBody>,
        peer: IpAddr,
    ) -> Result<Response<BlobBody>, Error> {
        let claims = match target.needs_token() {
            true => Some(self.verify(&req)?),
            false => None,
        };
        let (parts, body) = req.into_parts();
        let body = read_body(&parts, body).await?;
        let event = apigw::event(&parts, &body, peer, claims.as_ref());
        let request = apigw::request(&event)?;
        let response = match target {
            Target::Accounts => handle::<AccountsApi>(&self.accounts, request).await,
            Target::Presign => handle::<PresignApi>(&self.presign, request).await,
            Target::Events => handle::<EventsApi>(&self.events, request).await,
            Target::Gallery => handle::<GalleryApi>(&self.gallery, request).await,
        };
        Ok(to_blob_response(response))
    }

    /// The claims of the request's bearer token (what the JWT authorizer checks).
    fn verify(&self, req: &Request<RequestBody>) -> Result<Claims, Error> {
        let token = bearer_in(req.headers())
            .ok_or_else(|| Error::unauthorized("unauthorized", "sign in to use this API"))?;
        self.jwt.verify(token, Timestamp::now())
    }
}

/// The body, refused with 413 past API Gateway's limit (before reading when the client
/// declares its length).
async fn read_body(parts: &hyper::http::request::Parts, body: RequestBody) -> Result<Bytes, Error> {
    let too_large = || {
        Error::too_large(
            "body_too_large",
            format!("requests are limited to {MAX_API_BODY_BYTES} bytes"),
        )
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_API_BODY_BYTES as u64) {
        return Err(too_large());
    }
    match Limited::new(body, MAX_API_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(e) => Err(Error::malformed(
            "incomplete_body",
            format!("the request body could not be read: {e}"),
        )),
    }
}

/// A handler's response as the server's response type.
fn to_blob_response(response: lambda_http::Response<lambda_http::Body>) -> Response<BlobBody> {
    let (parts, bytes) = apigw::response_bytes(response);
    let mut out = Response::new(
        Full::new(bytes)
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *out.status_mut() = StatusCode::from_u16(parts.status.as_u16()).unwrap_or(StatusCode::OK);
    *out.headers_mut() = parts.headers;
    out
}

/// 405 with `Allow`, in the API's JSON error shape.
fn method_not_allowed(method: &Method, allowed: &[&str]) -> Response<BlobBody> {
    let allow = allowed.join(", ");
    let body = serde_json::json!({"error": {
        "code": "method_not_allowed",
        "message": format!("{method} is not allowed on this path; it answers {allow}"),
    }});
    let mut response = to_blob_response(json_response(405, &body));
    if let Ok(value) = HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_belongs_to_one_function() {
        assert_eq!(
            target_of(&LambdaMethod::POST, "/api/auth/login"),
            Ok(Some(Target::Accounts))
        );
        assert_eq!(
            target_of(&LambdaMethod::GET, "/api/me"),
            Ok(Some(Target::Events))
        );
        assert_eq!(
            target_of(
                &LambdaMethod::POST,
                "/api/events/01JD0000000000000000000000/uploads"
            ),
            Ok(Some(Target::Presign))
        );
        assert_eq!(
            target_of(&LambdaMethod::GET, "/api/g/ada/wedding"),
            Ok(Some(Target::Gallery))
        );
        assert_eq!(target_of(&LambdaMethod::GET, "/api/nothing"), Ok(None));
        assert_eq!(
            target_of(&LambdaMethod::DELETE, "/api/auth/login"),
            Err(vec!["POST"])
        );
    }
}
