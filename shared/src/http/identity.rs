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
