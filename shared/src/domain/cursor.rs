//! Paging: every list is cursor-paged, with an opaque cursor that encodes the last key.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Default and largest page sizes of the HTTP API.
pub const DEFAULT_PAGE_LIMIT: u32 = 50;
/// Largest page a client may ask for.
pub const MAX_PAGE_LIMIT: u32 = 200;

/// An opaque continuation token. Clients get it back verbatim; a tampered one is a 400.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(String);

/// What a cursor carries: the scope it was issued for (so a cursor from one list cannot be
/// replayed against another) and the adapter's last key.
#[derive(Serialize, Deserialize)]
struct Envelope<K> {
    s: String,
    k: K,
}

impl Cursor {
    /// Encodes `last_key` for the list identified by `scope` (e.g. `photos/<event_id>/uploaded`).
    pub fn encode<K: Serialize>(scope: &str, last_key: &K) -> Result<Self> {
        let json = serde_json::to_vec(&Envelope {
            s: scope.to_owned(),
            k: last_key,
        })
        .map_err(|e| Error::internal("cursor encoding failed", e))?;
        Ok(Self(URL_SAFE_NO_PAD.encode(json)))
    }

    /// Decodes a cursor issued for `scope`. Garbage, a cursor of another list, or a key of the
    /// wrong shape are all `Malformed` (400), never a panic.
    pub fn decode<K: DeserializeOwned>(&self, scope: &str) -> Result<K> {
        let bad = || Error::malformed("invalid_cursor", "the cursor is not valid for this list");
        if self.0.len() > 4096 {
            return Err(bad());
        }
        let json = URL_SAFE_NO_PAD
            .decode(self.0.as_bytes())
            .map_err(|_| bad())?;
        let envelope: Envelope<K> = serde_json::from_slice(&json).map_err(|_| bad())?;
        if envelope.s == scope {
            Ok(envelope.k)
        } else {
            Err(bad())
        }
    }

    /// Wraps the text a client sent.
    pub fn from_client(text: &str) -> Self {
        Self(text.to_owned())
    }

    /// The text to send to the client.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One page request: how many, and where to continue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// 1..=[`MAX_PAGE_LIMIT`] for the API; adapters accept any positive number.
    pub limit: u32,
    /// Continue after this cursor; `None` starts at the beginning.
    pub cursor: Option<Cursor>,
}

impl PageRequest {
    /// The first page of `limit` items.
    pub fn first(limit: u32) -> Self {
        Self {
            limit,
            cursor: None,
        }
    }

    /// The page after `cursor`.
    pub fn after(limit: u32, cursor: Cursor) -> Self {
        Self {
            limit,
            cursor: Some(cursor),
        }
    }

    /// From the API's `?limit=&cursor=` query values, applying the default and maximum.
    pub fn from_query(limit: Option<&str>, cursor: Option<&str>) -> Result<Self> {
        let limit = match limit {
            None => DEFAULT_PAGE_LIMIT,
            Some(text) => match text.parse::<u32>() {
                Ok(n) if (1..=MAX_PAGE_LIMIT).contains(&n) => n,
                _ => {
                    return Err(Error::invalid(
                        "invalid_limit",
                        format!("limit must be 1 to {MAX_PAGE_LIMIT}"),
                    ));
                }
            },
        };
        let cursor = cursor.filter(|c| !c.is_empty()).map(Cursor::from_client);
        Ok(Self { limit, cursor })
    }
}

/// One page of results and the cursor of the next, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items, in the list's order.
    pub items: Vec<T>,
    /// Present when more items may follow.
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// Maps the items, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_within_its_scope_only() {
        let c = Cursor::encode("photos/a", &("01H", 7u32)).expect("encode");
        assert_eq!(
            c.decode::<(String, u32)>("photos/a").expect("decode"),
            ("01H".to_owned(), 7)
        );
        assert_eq!(
            c.decode::<(String, u32)>("photos/b")
                .expect_err("scope")
                .http_status(),
            400
        );
    }

    #[test]
    fn tampered_cursors_are_400() {
        let c = Cursor::encode("s", &"k").expect("encode");
        let mut text = c.as_str().to_owned();
        text.insert(3, '!');
        for bad in [text.as_str(), "", "%%%", "eyJ9", &"A".repeat(5000)] {
            let err = Cursor::from_client(bad)
                .decode::<String>("s")
                .expect_err("tampered");
            assert_eq!(err.http_status(), 400, "{bad}");
        }
    }

    #[test]
    fn limits_from_query() {
        assert_eq!(
            PageRequest::from_query(None, None).expect("default").limit,
            50
        );
        assert_eq!(
            PageRequest::from_query(Some("200"), Some(""))
                .expect("max")
                .limit,
            200
        );
        assert!(PageRequest::from_query(Some("201"), None).is_err());
        assert!(PageRequest::from_query(Some("0"), None).is_err());
        assert!(PageRequest::from_query(Some("-1"), None).is_err());
    }
}
