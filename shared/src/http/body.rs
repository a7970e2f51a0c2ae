//! JSON request bodies: bounded in size, and every parse failure a client error.

use lambda_http::{Body, Request};
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::error::{Error, Result};

/// Parses the request body as JSON into `T`.
///
/// Over `max_bytes` → 413 `body_too_large`; no body or broken JSON → 400 `malformed_json`;
/// valid JSON of the wrong shape (missing field, wrong type, unknown variant) → 422
/// `invalid_body`, with serde's sentence, which names the field.
pub fn json_body<T: DeserializeOwned>(req: &Request, max_bytes: usize) -> Result<T> {
    let bytes: &[u8] = match req.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    };
    if bytes.len() > max_bytes {
        return Err(Error::too_large(
            "body_too_large",
            format!("request bodies are limited to {max_bytes} bytes"),
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::malformed(
            "malformed_json",
            "this request needs a JSON body",
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        Category::Data => Error::invalid("invalid_body", truncate(&e.to_string(), 300)),
        Category::Syntax | Category::Eof | Category::Io => Error::malformed(
            "malformed_json",
            format!(
                "the body is not valid JSON: {}",
                truncate(&e.to_string(), 200)
            ),
        ),
    })
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}
