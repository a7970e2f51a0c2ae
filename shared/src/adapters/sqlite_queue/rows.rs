//! Errors, the clock, and conversions between rows and deliveries.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{ErrorCode, Row};

use crate::error::{Error, Result};
use crate::ports::queue::Delivery;

/// Maps a SQLite failure: a locked database may clear on retry, anything else is our bug
/// (the queue's statements have no constraint a caller can violate).
pub(super) fn db_err(err: rusqlite::Error) -> Error {
    match err.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            Error::transient("the queue database is busy", err)
        }
        Some(ErrorCode::DiskFull) => Error::storage_full(
            "the server's disk is full: free space (delete photos or events), then try again",
        ),
        _ => Error::internal("queue database failure", err),
    }
}

/// The answer to an ack or release whose receipt is not the message's current delivery.
pub(super) fn not_in_flight() -> Error {
    Error::conflict(
        "message_not_in_flight",
        "This delivery is no longer current: the message was acknowledged or redelivered.",
    )
}

/// Wall-clock epoch milliseconds: visibility must mean the same after a restart, which a
/// monotonic `Instant` cannot. A clock set back before 1970 reads as 0.
pub(super) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, millis)
}

/// `at` plus `duration`, saturating (a delay of years is "never", not an overflow).
pub(super) fn after(at: i64, duration: Duration) -> i64 {
    at.saturating_add(millis(duration))
}

/// How long from `now` until `at` (zero if it has passed).
pub(super) fn until(now: i64, at: i64) -> Duration {
    Duration::from_millis(u64::try_from(at.saturating_sub(now)).unwrap_or(0))
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// A stored count as `u32`; a count out of range means the file was edited by hand.
pub(super) fn to_u32(value: i64) -> Result<u32> {
    u32::try_from(value).map_err(|e| Error::internal("bad receive count in the queue database", e))
}

/// A delivery from a row of `message_id, body, receive_count`, with `receipt`.
pub(super) fn delivery(row: &Row<'_>, receipt: String) -> Result<Delivery> {
    let count: i64 = row.get(2).map_err(db_err)?;
    Ok(Delivery {
        message_id: row.get(0).map_err(db_err)?,
        body: row.get(1).map_err(db_err)?,
        receipt,
        receive_count: to_u32(count)?,
    })
}

/// A fresh, unguessable receipt: ULIDs carry 80 random bits.
pub(super) fn new_receipt() -> String {
    ulid::Ulid::generate().to_string()
}
