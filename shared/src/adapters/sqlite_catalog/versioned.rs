//! The version-conditional replace every updatable row (event, photo, access code, job) goes
//! through, written once as DynamoDB's `put_versioned` is: the stored row must still carry
//! the caller's `version`, else `Conflict`, and is written with `version + 1`. The check is
//! repeated in the `UPDATE`'s `WHERE`, so a writer in another process sharing the file
//! cannot slip in between.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params_from_iter};

use super::rows::{db_err, now_secs, to_i64, to_u64};
use crate::domain::Timestamp;
use crate::error::{Error, Result};

/// One row: its table, its primary key (column, value) and what errors call it.
pub(super) struct VersionedRow<'a> {
    /// Table name (one of ours, never input).
    pub table: &'static str,
    /// Primary key columns (ours) and their values.
    pub key: &'a [(&'static str, String)],
    /// "event", "photo", …: for the conflict message.
    pub noun: &'static str,
}

impl VersionedRow<'_> {
    /// `k1 = ?{first} AND k2 = ?{first + 1}`.
    fn key_condition(&self, first: usize) -> String {
        self.key
            .iter()
            .enumerate()
            .map(|(i, (column, _))| format!("{column} = ?{}", first + i))
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    fn key_values(&self) -> impl Iterator<Item = Value> + '_ {
        self.key.iter().map(|(_, value)| Value::Text(value.clone()))
    }

    /// The conflict every lost race or stale copy gets.
    pub(super) fn stale(&self) -> Error {
        Error::conflict(
            "version_conflict",
            format!(
                "the {} was changed by someone else; reload and try again",
                self.noun
            ),
        )
    }

    /// `Conflict` unless the stored row's version is the caller's.
    pub(super) fn check(&self, stored: u64, callers: u64) -> Result<()> {
        if stored == callers {
            Ok(())
        } else {
            Err(self.stale())
        }
    }

    /// The version and `expires_at` of the row if it is there and live.
    fn live_version(&self, conn: &Connection) -> Result<Option<(u64, Timestamp)>> {
        let n = self.key.len();
        let sql = format!(
            "SELECT version, expires_at FROM {} WHERE {} AND expires_at > ?{}",
            self.table,
            self.key_condition(1),
            n + 1
        );
        let args = self.key_values().chain([Value::Integer(now_secs())]);
        let stored: Option<(i64, i64)> = conn
            .prepare_cached(&sql)
            .map_err(db_err)?
            .query_row(params_from_iter(args), |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()
            .map_err(db_err)?;
        stored
            .map(|(version, expires_at)| {
                Ok((to_u64(version)?, Timestamp::from_epoch_secs(expires_at)))
            })
            .transpose()
    }

    /// Sets the `set` columns and `version = callers + 1` where the row still has version
    /// `callers`; `Conflict` if it no longer does.
    pub(super) fn replace(
        &self,
        conn: &Connection,
        callers: u64,
        set: Vec<(&'static str, Value)>,
    ) -> Result<()> {
        let next = callers
            .checked_add(1)
            .ok_or_else(|| Error::internal_msg(format!("{} version overflow", self.noun)))?;
        let assignments: Vec<String> = set
            .iter()
            .map(|(column, _)| column.to_string())
            .chain(["version".to_owned()])
            .enumerate()
            .map(|(i, column)| format!("{column} = ?{}", i + 1))
            .collect();
        let first_key = assignments.len() + 1;
        let sql = format!(
            "UPDATE {} SET {} WHERE {} AND version = ?{}",
            self.table,
            assignments.join(", "),
            self.key_condition(first_key),
            first_key + self.key.len()
        );
        let args: Vec<Value> = set
            .into_iter()
            .map(|(_, value)| value)
            .chain([Value::Integer(to_i64(next)?)])
            .chain(self.key_values())
            .chain([Value::Integer(to_i64(callers)?)])
            .collect();
        let changed = conn
            .prepare_cached(&sql)
            .map_err(db_err)?
            .execute(params_from_iter(args))
            .map_err(db_err)?;
        if changed == 1 {
            Ok(())
        } else {
            Err(self.stale())
        }
    }

    /// Replaces a child row (photo, code, job) from the caller's copy, in one write
    /// transaction: the live row must have the copy's `version` (absent or expired is
    /// `gone`). `write` gets the next version and the stored expiry (the event's, which
    /// `update_event` cascades; a copy's may be older) and returns the row to store and the
    /// columns to set.
    pub(super) fn update_child<T>(
        &self,
        conn: &mut Connection,
        callers: u64,
        gone: fn() -> Error,
        write: impl FnOnce(u64, Timestamp) -> Result<(T, Vec<(&'static str, Value)>)>,
    ) -> Result<T> {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_err)?;
        let (stored, expires_at) = self.live_version(&tx)?.ok_or_else(gone)?;
        self.check(stored, callers)?;
        let (row, set) = write(callers.saturating_add(1), expires_at)?;
        self.replace(&tx, callers, set)?;
        tx.commit().map_err(db_err)?;
        Ok(row)
    }
}
