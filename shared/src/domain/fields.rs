//! How request bodies' optional fields read: absent is "not given", and `null` is refused
//! where it would mean nothing (the contract types them without `null`). Fields where
//! `null` clears something read with [`present`] instead.

use serde::{Deserialize, Deserializer};

/// For `#[serde(default, deserialize_with = "not_null")]` on an `Option` field: absent is
/// `None`; present, the value; `null` is an error naming no value.
pub fn not_null<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    match Option::<T>::deserialize(d)? {
        Some(value) => Ok(Some(value)),
        None => Err(serde::de::Error::custom(
            "null is not a value here: leave the field out instead",
        )),
    }
}

/// For PATCH bodies: tells "absent" (`None`) from "null" (`Some(None)`).
pub fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[serde(default, deserialize_with = "not_null")]
        label: Option<String>,
        #[serde(default, deserialize_with = "present")]
        expires_at: Option<Option<i64>>,
    }

    fn parse(text: &str) -> Result<Body, serde_json::Error> {
        serde_json::from_str(text)
    }

    #[test]
    fn absent_is_none_a_value_is_some_and_null_is_refused_or_clears() {
        let empty = parse("{}").expect("absent fields");
        assert_eq!((empty.label, empty.expires_at), (None, None));
        let given = parse(r#"{"label": "x", "expires_at": 5}"#).expect("values");
        assert_eq!(
            (given.label.as_deref(), given.expires_at),
            (Some("x"), Some(Some(5)))
        );
        let cleared = parse(r#"{"expires_at": null}"#).expect("null clears");
        assert_eq!(cleared.expires_at, Some(None));
        let error = parse(r#"{"label": null}"#).expect_err("null label");
        assert!(error.to_string().contains("leave the field out"), "{error}");
    }
}
