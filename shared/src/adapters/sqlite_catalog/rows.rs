//! Conversions between rows and entities, errors, and the paging helpers every list uses.

use rusqlite::ErrorCode;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::{Cursor, Page, PageRequest, Timestamp};
use crate::error::{Error, Result};

/// Maps a SQLite failure: a locked database may clear on retry, a constraint is a lost race
/// or a taken name, anything else is our bug.
pub(super) fn db_err(err: rusqlite::Error) -> Error {
    match err.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            Error::transient("the catalog database is busy", err)
        }
        Some(ErrorCode::ConstraintViolation) => {
            Error::conflict("conflict", "a concurrent write got there first")
        }
        Some(ErrorCode::DiskFull) => Error::storage_full(
            "the server's disk is full: free space (delete photos or events), then try again",
        ),
        _ => Error::internal("catalog database failure", err),
    }
}

/// Whether `err` is a uniqueness or primary-key violation.
pub(super) fn is_constraint(err: &rusqlite::Error) -> bool {
    err.sqlite_error_code() == Some(ErrorCode::ConstraintViolation)
}

/// The entity as stored in `body`.
pub(super) fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::internal("catalog row encoding failed", e))
}

/// The entity back from `body`; a row we cannot read is a bug, not the client's fault.
pub(super) fn from_json<T: DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::internal("catalog row decoding failed", e))
}

/// A `u64` as SQLite's signed integer; values past `i64::MAX` cannot be real counts.
pub(super) fn to_i64(value: u64) -> Result<i64> {
    i64::try_from(value).map_err(|e| Error::internal("value too large for the catalog", e))
}

/// A stored non-negative integer as `u64`.
pub(super) fn to_u64(value: i64) -> Result<u64> {
    u64::try_from(value).map_err(|e| Error::internal("negative value in the catalog", e))
}

/// The current time as epoch seconds, for expiry checks in SQL.
pub(super) fn now_secs() -> i64 {
    Timestamp::now().epoch_secs()
}

/// The key to continue after, from the request's cursor (`Malformed` if it is not ours).
pub(super) fn cursor_key<K: DeserializeOwned>(
    page: &PageRequest,
    scope: &str,
) -> Result<Option<K>> {
    page.cursor.as_ref().map(|c| c.decode(scope)).transpose()
}

/// How many rows to fetch: one more than the page, to know whether another page follows.
pub(super) fn fetch_limit(page: &PageRequest) -> i64 {
    i64::from(page.limit.max(1)) + 1
}

/// Cuts the over-fetched rows to the page and encodes the cursor of its last item.
pub(super) fn finish_page<T, K: Serialize>(
    mut rows: Vec<T>,
    page: &PageRequest,
    scope: &str,
    key_of: impl Fn(&T) -> K,
) -> Result<Page<T>> {
    let limit = page.limit.max(1) as usize;
    let next = if rows.len() > limit {
        rows.truncate(limit);
        match rows.last() {
            Some(last) => Some(Cursor::encode(scope, &key_of(last))?),
            None => None,
        }
    } else {
        None
    };
    Ok(Page { items: rows, next })
}
