//! The caller's identity, read only from the JWT claims API Gateway's authorizer verified
//! and put in the request context. No route reads identity from anywhere else.

use lambda_http::Request;
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;

use crate::domain::{Caller, UserId};
use crate::error::{Error, Result};

/// Reads the photographer from the API Gateway HTTP API (v2) request context. A request
/// without verified JWT claims, or with an unusable `sub`, is `Unauthorized` (401).
pub fn caller(req: &Request) -> Result<Caller> {
    let claims = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx
            .authorizer
            .as_ref()
            .and_then(|a| a.jwt.as_ref())
            .map(|jwt| &jwt.claims),
        _ => None,
    }
    .ok_or_else(missing)?;
    let sub = claims
        .get("sub")
        .filter(|s| !s.is_empty())
        .ok_or_else(missing)?;
    let non_empty = |name: &str| claims.get(name).filter(|v| !v.is_empty()).cloned();
    Ok(Caller {
        user_id: UserId::parse(sub)?,
        email: non_empty("email"),
        username: non_empty("cognito:username").or_else(|| non_empty("username")),
    })
}

fn missing() -> Error {
    Error::unauthorized("unauthorized", "sign in to use this API")
}

/// The bearer token of the `Authorization` header (a viewer token on gallery routes); a
/// request without one is `Unauthorized`.
pub fn bearer_token(req: &Request) -> Result<&str> {
    bearer_in(req.headers()).ok_or_else(|| {
        Error::unauthorized(
            "unauthorized",
            "enter the gallery's access code first (no viewer token was sent)",
        )
    })
}

/// The token of an `Authorization: Bearer …` header, if there is a non-empty one (the
/// local stack's gateway reads photographer tokens with it too).
pub fn bearer_in(headers: &lambda_http::http::HeaderMap) -> Option<&str> {
    headers
        .get(lambda_http::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The client's address: API Gateway's `sourceIp` (the local stack sets it from the
/// socket), or — only when the deployment says every request comes through CloudFront —
/// CloudFront's `CloudFront-Viewer-Address` header. Never `X-Forwarded-For`, whose
/// left-most entry any client can write.
pub fn client_address(req: &Request, behind_cloudfront: bool) -> Result<std::net::IpAddr> {
    let unknown = || Error::internal_msg("the request carries no client address");
    if behind_cloudfront {
        return req
            .headers()
            .get("cloudfront-viewer-address")
            .and_then(|v| v.to_str().ok())
            .and_then(crate::domain::client_address::from_cloudfront_viewer_address)
            .ok_or_else(unknown);
    }
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx
            .http
            .source_ip
            .as_ref()
            .ok_or_else(unknown)?
            .parse()
            .map_err(|_| unknown()),
        _ => Err(unknown()),
    }
}
