//! Windowed counters (unlock attempts and the like).

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::rows::{db_err, now_secs, to_i64, to_u64};
use crate::domain::Timestamp;
use crate::error::Result;
use crate::ports::Counter;

pub(super) fn increment(
    conn: &mut Connection,
    key: &str,
    window_ends: Timestamp,
) -> Result<Counter> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    let live: Option<(i64, i64)> = tx
        .query_row(
            "SELECT count, expires_at FROM counters WHERE key = ?1 AND expires_at > ?2",
            params![key, now_secs()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
        .map_err(db_err)?;
    let counter = match live {
        Some((count, expires_at)) => Counter {
            count: to_u64(count)?.saturating_add(1),
            expires_at: Timestamp::from_epoch_secs(expires_at),
        },
        None => Counter {
            count: 1,
            expires_at: window_ends,
        },
    };
    tx.execute(
        "INSERT INTO counters (key, count, expires_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET count = excluded.count, expires_at = excluded.expires_at",
        params![key, to_i64(counter.count)?, counter.expires_at.epoch_secs()],
    )
    .map_err(db_err)?;
    tx.commit().map_err(db_err)?;
    Ok(counter)
}

pub(super) fn get(conn: &Connection, key: &str) -> Result<u64> {
    let count: Option<i64> = conn
        .query_row(
            "SELECT count FROM counters WHERE key = ?1 AND expires_at > ?2",
            params![key, now_secs()],
            |row| row.get(0),
        )
        .optional()
        .map_err(db_err)?;
    count.map_or(Ok(0), to_u64)
}
