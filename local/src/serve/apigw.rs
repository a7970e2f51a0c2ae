//! The request API Gateway (HTTP API, payload 2.0) hands a Lambda function, built from a
//! request on our socket: the same JSON event, read by the same `lambda_http` code, so a
//! handler cannot tell the local stack from AWS. Photographer routes get the claims of the
//! token the gateway verified under `requestContext.authorizer.jwt.claims`, as Cognito's
//! authorizer puts them; the client address is the socket's (`sourceIp`).

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hyper::http::request::Parts;
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value, json};
use shared::Error;
use shared::domain::Timestamp;
use shared::local_auth::Claims;

/// The API Gateway v2 event of a request whose body has been read.
pub fn event(parts: &Parts, body: &[u8], source_ip: IpAddr, claims: Option<&Claims>) -> Value {
    let mut headers = Map::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        // API Gateway joins repeated headers with commas.
        match headers.get_mut(name.as_str()) {
            Some(Value::String(seen)) => {
                seen.push(',');
                seen.push_str(&value);
            }
            _ => {
                headers.insert(name.as_str().to_owned(), Value::String(value));
            }
        }
    }
    let path = parts.uri.path();
    let (body, is_base64) = match std::str::from_utf8(body) {
        Ok(text) => (text.to_owned(), false),
        Err(_) => (STANDARD.encode(body), true),
    };
    let now = Timestamp::now();
    let mut context = json!({
        "accountId": "local",
        "apiId": "picpass-local",
        "domainName": headers.get("host").cloned().unwrap_or(Value::from("localhost")),
        "domainPrefix": "local",
        "http": {
            "method": parts.method.as_str(),
            "path": path,
            "protocol": format!("{:?}", parts.version),
            "sourceIp": source_ip.to_canonical().to_string(),
            "userAgent": headers.get("user-agent").cloned().unwrap_or(Value::from("")),
        },
        "requestId": ulid::Ulid::generate().to_string(),
        "routeKey": "$default",
        "stage": "$default",
        "time": now.to_rfc3339(),
        "timeEpoch": now.epoch_secs().saturating_mul(1000),
    });
    if let Some(claims) = claims {
        context["authorizer"] = json!({
            "jwt": {
                "claims": {
                    "sub": claims.sub,
                    "email": claims.email,
                    "username": claims.username,
                    "iss": claims.iss,
                    "iat": claims.iat.to_string(),
                    "exp": claims.exp.to_string(),
                },
                "scopes": null,
            }
        });
    }
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": parts.uri.query().unwrap_or_default(),
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": is_base64,
    });
    if !body.is_empty() {
        event["body"] = Value::String(body);
    }
    event
}

/// The `lambda_http` request of an event, as the Lambda runtime would deserialise it.
pub fn request(event: &Value) -> Result<Request, Error> {
    lambda_http::request::from_str(&event.to_string())
        .map_err(|e| Error::malformed("malformed_request", format!("unusable request: {e}")))
}

/// A handler's response as status, headers and bytes.
pub fn response_bytes(response: Response<Body>) -> (hyper::http::response::Parts, bytes::Bytes) {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Text(text) => bytes::Bytes::from(text),
        Body::Binary(bytes) => bytes::Bytes::from(bytes),
        _ => bytes::Bytes::new(),
    };
    (parts, bytes)
}
