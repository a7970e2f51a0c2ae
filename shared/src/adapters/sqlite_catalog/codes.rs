//! Access codes, by event and lookup key, listed oldest first.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use rusqlite::types::Value;

use super::events;
use super::rows::{
    cursor_key, db_err, fetch_limit, finish_page, from_json, is_constraint, now_secs, to_i64,
    to_json,
};
use super::versioned::VersionedRow;
use crate::domain::{AccessCode, EventId, Page, PageRequest};
use crate::error::{Error, Result};

/// The event's live codes, oldest first, from `access_codes_by_created`.
/// `?1` event, `?2` now, `?3` limit, `?4`/`?5` the cursor key.
pub(super) const LIST_FIRST: &str = "SELECT body FROM access_codes
    WHERE event_id = ?1 AND ?4 IS NULL AND ?5 IS NULL AND expires_at > ?2
    ORDER BY created_at, code_key LIMIT ?3";
/// The page after (`?4` created_at, `?5` code_key).
pub(super) const LIST_AFTER: &str = "SELECT body FROM access_codes
    WHERE event_id = ?1 AND (created_at, code_key) > (?4, ?5) AND expires_at > ?2
    ORDER BY created_at, code_key LIMIT ?3";

fn not_found() -> Error {
    Error::not_found("code_not_found", "no such access code")
}

pub(super) fn insert(conn: &mut Connection, code: &AccessCode) -> Result<()> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    let code = &AccessCode {
        expires_at: events::new_child_expiry(&tx, code.event_id, code.expires_at)?,
        ..code.clone()
    };
    tx.execute(
        "INSERT INTO access_codes (event_id, code_key, created_at, expires_at, version, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            code.event_id.to_string(),
            code.code_key,
            code.created_at.epoch_secs(),
            code.expires_at.epoch_secs(),
            to_i64(code.version)?,
            to_json(code)?
        ],
    )
    .map(drop)
    .map_err(|e| {
        if is_constraint(&e) {
            Error::conflict("code_exists", "the event already has that code")
        } else {
            db_err(e)
        }
    })?;
    tx.commit().map_err(db_err)
}

pub(super) fn get(conn: &Connection, event_id: EventId, code_key: &str) -> Result<AccessCode> {
    let body: Option<String> = conn
        .query_row(
            "SELECT body FROM access_codes
             WHERE event_id = ?1 AND code_key = ?2 AND expires_at > ?3",
            params![event_id.to_string(), code_key, now_secs()],
            |row| row.get(0),
        )
        .optional()
        .map_err(db_err)?;
    from_json(&body.ok_or_else(not_found)?)
}

pub(super) fn list(
    conn: &Connection,
    event_id: EventId,
    page: &PageRequest,
) -> Result<Page<AccessCode>> {
    let scope = format!("codes/{event_id}");
    let after: Option<(i64, String)> = cursor_key(page, &scope)?;
    let sql = if after.is_some() {
        LIST_AFTER
    } else {
        LIST_FIRST
    };
    let (created_after, key_after) = after.unzip();
    let mut stmt = conn.prepare_cached(sql).map_err(db_err)?;
    let bodies = stmt
        .query_map(
            params![
                event_id.to_string(),
                now_secs(),
                fetch_limit(page),
                created_after,
                key_after
            ],
            |row| row.get::<_, String>(0),
        )
        .map_err(db_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_err)?;
    let codes = bodies
        .iter()
        .map(|b| from_json(b))
        .collect::<Result<Vec<AccessCode>>>()?;
    finish_page(codes, page, &scope, |c| {
        (c.created_at.epoch_secs(), c.code_key.clone())
    })
}

pub(super) fn update(conn: &mut Connection, change: &AccessCode) -> Result<AccessCode> {
    let key = [
        ("event_id", change.event_id.to_string()),
        ("code_key", change.code_key.clone()),
    ];
    let row = VersionedRow {
        table: "access_codes",
        key: &key,
        noun: "access code",
    };
    row.update_child(conn, change.version, not_found, |version, expires_at| {
        // The row's expiry is the event's (`update_event` cascades it); the code's own is
        // `valid_until`, which the caller may change.
        let code = AccessCode {
            version,
            expires_at,
            ..change.clone()
        };
        let set = vec![
            ("created_at", Value::Integer(code.created_at.epoch_secs())),
            ("expires_at", Value::Integer(code.expires_at.epoch_secs())),
            ("body", Value::Text(to_json(&code)?)),
        ];
        Ok((code, set))
    })
}
