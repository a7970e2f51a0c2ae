//! JSON request bodies: bounded in size, and every parse failure a client error.

use lambda_http::{Body, Request};
use serde::de::DeserializeOwned;
use serde_json::error::Category;
use serde_json::{Number, Value};

use crate::error::{Error, Result};

/// Parses the request body, a JSON object, into `T`.
///
/// Over `max_bytes` → 413 `body_too_large`; no body or broken JSON → 400 `malformed_json`;
/// valid JSON of the wrong shape (not an object, missing field, wrong type, unknown
/// variant) → 422 `invalid_body`, with serde's sentence, which names the field.
///
/// Numbers are read as JSON Schema reads them: `5.0` is the integer 5 (clients that only
/// have floats send that), `5.5` is not an integer. And a body is an object: serde would
/// otherwise read `[null, null]` as a struct's fields in order.
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
    let mut value: Value = serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        Category::Data => Error::invalid("invalid_body", truncate(&e.to_string(), 300)),
        Category::Syntax | Category::Eof | Category::Io => Error::malformed(
            "malformed_json",
            format!(
                "the body is not valid JSON: {}",
                truncate(&e.to_string(), 200)
            ),
        ),
    })?;
    if !value.is_object() {
        return Err(Error::invalid(
            "invalid_body",
            "the body must be a JSON object",
        ));
    }
    integral_floats_as_integers(&mut value);
    serde_json::from_value(value)
        .map_err(|e| Error::invalid("invalid_body", truncate(&e.to_string(), 300)))
}

/// Rewrites every number like `5.0` as the integer `5`, in place.
fn integral_floats_as_integers(value: &mut Value) {
    match value {
        Value::Number(number) if number.is_f64() => {
            if let Some(float) = number.as_f64()
                && float.fract() == 0.0
            {
                // Exact in both directions only within ±2^53; outside, leave it a float.
                const EXACT: f64 = 9_007_199_254_740_992.0;
                if float.abs() <= EXACT {
                    *number = Number::from(float as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Sample {
        count: u32,
        name: Option<String>,
    }

    fn parse(body: &str) -> Result<Sample> {
        let req = lambda_http::http::Request::builder()
            .body(Body::Text(body.to_owned()))
            .expect("request");
        json_body(&req, 1024)
    }

    fn code_of(result: Result<Sample>) -> String {
        result.expect_err("refused").code().to_owned()
    }

    #[test]
    fn an_integral_float_is_an_integer_and_a_fraction_is_not() {
        assert_eq!(
            parse(r#"{"count": 5500.0}"#).expect("accepted"),
            Sample {
                count: 5500,
                name: None
            }
        );
        assert_eq!(code_of(parse(r#"{"count": 5.5}"#)), "invalid_body");
        assert_eq!(code_of(parse(r#"{"count": 1e300}"#)), "invalid_body");
        assert_eq!(code_of(parse(r#"{"count": -1.0}"#)), "invalid_body");
    }

    #[test]
    fn only_an_object_is_a_body() {
        assert_eq!(code_of(parse("[7, null]")), "invalid_body");
        assert_eq!(code_of(parse("7")), "invalid_body");
        assert_eq!(code_of(parse("null")), "invalid_body");
        assert_eq!(code_of(parse("{")), "malformed_json");
        assert_eq!(code_of(parse("  ")), "malformed_json");
        assert_eq!(
            parse(r#"{"count": 7, "name": "x"}"#)
                .expect("accepted")
                .name
                .as_deref(),
            Some("x")
        );
    }
}
