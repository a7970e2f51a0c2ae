//! Events and their public paths.

use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};

use rusqlite::types::Value;

use super::rows::{
    cursor_key, db_err, fetch_limit, finish_page, from_json, is_constraint, now_secs, to_i64,
    to_json, to_u64,
};
use super::versioned::VersionedRow;
use crate::domain::{Event, EventId, Page, PageRequest, Timestamp, UserId, tombstone_expired};
use crate::error::{Error, Result};
use crate::ports::child_expiry;

const COLUMNS: &str = "body, photo_count, version";

/// The owner's live events, newest first, from `events_by_owner` read backwards.
/// `?1` owner, `?2` now, `?3` limit, `?4`/`?5` the cursor key.
pub(super) const BY_OWNER_FIRST: &str = "SELECT body, photo_count, version FROM events
    WHERE owner_id = ?1 AND expires_at > ?2 AND ?4 IS NULL AND ?5 IS NULL
    ORDER BY created_at DESC, event_id DESC LIMIT ?3";
/// The page after (`?4` created_at, `?5` event_id).
pub(super) const BY_OWNER_AFTER: &str = "SELECT body, photo_count, version FROM events
    WHERE owner_id = ?1 AND expires_at > ?2 AND (created_at, event_id) < (?4, ?5)
    ORDER BY created_at DESC, event_id DESC LIMIT ?3";
/// Expired events in expiry order, from `events_by_expiry`.
/// `?1` now, `?2` limit, `?3`/`?4` the cursor key.
pub(super) const EXPIRED_FIRST: &str = "SELECT body, photo_count, version FROM events
    WHERE expires_at <= ?1 AND ?3 IS NULL AND ?4 IS NULL
    ORDER BY expires_at, event_id LIMIT ?2";
/// The page after (`?3` expires_at, `?4` event_id).
pub(super) const EXPIRED_AFTER: &str = "SELECT body, photo_count, version FROM events
    WHERE expires_at <= ?1 AND (expires_at, event_id) > (?3, ?4)
    ORDER BY expires_at, event_id LIMIT ?2";

fn not_found() -> Error {
    Error::not_found("event_not_found", "no such event")
}

fn expired() -> Error {
    Error::expired("event_expired", "this event has expired")
}

fn slug_taken() -> Error {
    Error::conflict("slug_taken", "you already have an event at that address")
}

/// The counters live in their own columns (`add_photo_count` does not rewrite the body), so
/// they are taken from there.
fn event_from_row(row: &Row<'_>) -> rusqlite::Result<(String, i64, i64)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
}

fn decode((body, photo_count, version): (String, i64, i64)) -> Result<Event> {
    let mut event: Event = from_json(&body)?;
    event.photo_count = to_u64(photo_count)?;
    event.version = to_u64(version)?;
    Ok(event)
}

/// The stored event whatever its expiry.
fn load(conn: &Connection, event_id: EventId) -> Result<Option<Event>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM events WHERE event_id = ?1"),
        [event_id.to_string()],
        event_from_row,
    )
    .optional()
    .map_err(db_err)?
    .map(decode)
    .transpose()
}

fn live(event: Option<Event>) -> Result<Event> {
    let event = event.ok_or_else(not_found)?;
    if event.is_expired(Timestamp::now()) {
        Err(expired())
    } else {
        Ok(event)
    }
}

pub(super) fn insert(conn: &mut Connection, event: &Event) -> Result<()> {
    let body = to_json(event)?;
    let id = event.event_id.to_string();
    let now = now_secs();
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    let claim: Option<(String, Option<i64>)> = tx
        .query_row(
            "SELECT event_id, tombstone_until FROM event_paths WHERE owner_id = ?1 AND slug = ?2",
            params![event.owner_id.as_str(), event.slug],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
        .map_err(db_err)?;
    if let Some((holder, tombstone_until)) = claim {
        let held = match tombstone_until {
            Some(until) => until > now,
            // An expired event no longer holds its path; deleting it later leaves the new
            // claim alone because deletes match the path by event id.
            None => tx
                .query_row(
                    "SELECT 1 FROM events WHERE event_id = ?1 AND expires_at > ?2",
                    params![holder, now],
                    |_| Ok(()),
                )
                .optional()
                .map_err(db_err)?
                .is_some(),
        };
        if held {
            return Err(slug_taken());
        }
    }
    tx.execute(
        "INSERT INTO events (event_id, owner_id, slug, created_at, expires_at, photo_count,
                             version, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            id,
            event.owner_id.as_str(),
            event.slug,
            event.created_at.epoch_secs(),
            event.expires_at.epoch_secs(),
            to_i64(event.photo_count)?,
            to_i64(event.version)?,
            body
        ],
    )
    .map_err(|e| {
        if is_constraint(&e) {
            Error::conflict("event_exists", "the event already exists")
        } else {
            db_err(e)
        }
    })?;
    tx.execute(
        "INSERT OR REPLACE INTO event_paths (owner_id, slug, event_id, tombstone_until)
         VALUES (?1, ?2, ?3, NULL)",
        params![event.owner_id.as_str(), event.slug, id],
    )
    .map_err(db_err)?;
    tx.commit().map_err(db_err)
}

pub(super) fn get(conn: &Connection, event_id: EventId) -> Result<Event> {
    live(load(conn, event_id)?)
}

pub(super) fn get_live_or_expired(conn: &Connection, event_id: EventId) -> Result<Event> {
    load(conn, event_id)?.ok_or_else(not_found)
}

/// The expiry a new child row of the event is stored with ([`child_expiry`]); `own` is the
/// one its caller's copy carries. Call it inside the insert's write transaction, so no
/// change of the event's expiry can slip in between.
pub(super) fn new_child_expiry(
    conn: &Connection,
    event_id: EventId,
    own: Timestamp,
) -> Result<Timestamp> {
    Ok(child_expiry(
        own,
        stored_expiry(conn, event_id)?,
        Timestamp::now(),
    ))
}

/// The expiry stored for the event, if it has a row (live or expired).
pub(super) fn stored_expiry(conn: &Connection, event_id: EventId) -> Result<Option<Timestamp>> {
    conn.prepare_cached("SELECT expires_at FROM events WHERE event_id = ?1")
        .map_err(db_err)?
        .query_row([event_id.to_string()], |row| row.get::<_, i64>(0))
        .optional()
        .map(|secs| secs.map(Timestamp::from_epoch_secs))
        .map_err(db_err)
}

pub(super) fn find_by_path(conn: &Connection, owner_id: &UserId, slug: &str) -> Result<Event> {
    let claim: Option<(String, Option<i64>)> = conn
        .query_row(
            "SELECT event_id, tombstone_until FROM event_paths WHERE owner_id = ?1 AND slug = ?2",
            params![owner_id.as_str(), slug],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
        .map_err(db_err)?;
    match claim {
        None => Err(not_found()),
        Some((_, Some(until))) if until > now_secs() => {
            Err(tombstone_expired(Timestamp::from_epoch_secs(until)))
        }
        Some((_, Some(_))) => Err(not_found()),
        Some((holder, None)) => {
            let event_id = EventId::parse(&holder)
                .map_err(|e| Error::internal("bad event id in event_paths", e))?;
            load(conn, event_id)?.ok_or_else(not_found)
        }
    }
}

pub(super) fn list_by_owner(
    conn: &Connection,
    owner_id: &UserId,
    page: &PageRequest,
) -> Result<Page<Event>> {
    let scope = format!("events/owner/{owner_id}");
    let after: Option<(i64, String)> = cursor_key(page, &scope)?;
    let now = now_secs();
    let limit = fetch_limit(page);
    let sql = if after.is_some() {
        BY_OWNER_AFTER
    } else {
        BY_OWNER_FIRST
    };
    let (created_after, id_after) = after.unzip();
    let rows = query_events(
        conn,
        sql,
        params![owner_id.as_str(), now, limit, created_after, id_after],
    )?;
    finish_page(rows, page, &scope, |e| {
        (e.created_at.epoch_secs(), e.event_id.to_string())
    })
}

fn query_events(conn: &Connection, sql: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(sql).map_err(db_err)?;
    let rows = stmt
        .query_map(args, event_from_row)
        .map_err(db_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_err)?;
    rows.into_iter().map(decode).collect()
}

pub(super) fn update(conn: &mut Connection, change: &Event) -> Result<Event> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    let mut event = live(load(&tx, change.event_id)?)?;
    let key = [("event_id", event.event_id.to_string())];
    let row = VersionedRow {
        table: "events",
        key: &key,
        noun: "event",
    };
    row.check(event.version, change.version)?;
    let stored_expiry = event.expires_at;
    change.name.clone_into(&mut event.name);
    event.expires_at = change.expires_at;
    event.cover_photo_id = change.cover_photo_id;
    event.watermark.clone_from(&change.watermark);
    event.version += 1;
    row.replace(
        &tx,
        change.version,
        vec![
            ("expires_at", Value::Integer(event.expires_at.epoch_secs())),
            ("body", Value::Text(to_json(&event)?)),
        ],
    )?;
    if stored_expiry != event.expires_at {
        carry_expiry_to_children(&tx, event.event_id, event.expires_at)?;
    }
    tx.commit().map_err(db_err)?;
    Ok(event)
}

/// Every child row carries its event's expiry (DESIGN §4). Rows already expired are gone and
/// stay gone; versions are left alone, as `add_photo_count` leaves the event's, so the
/// cascade never makes a concurrent edit of a child conflict (the child updates keep the
/// stored expiry instead of the one in their copy).
const CASCADE_EXPIRY: [&str; 3] = [
    "UPDATE photos SET expires_at = ?2, body = json_set(body, '$.expires_at', ?3)
     WHERE event_id = ?1 AND expires_at > ?4",
    "UPDATE access_codes SET expires_at = ?2, body = json_set(body, '$.expires_at', ?3)
     WHERE event_id = ?1 AND expires_at > ?4",
    "UPDATE jobs SET expires_at = ?2, body = json_set(body, '$.expires_at', ?3)
     WHERE event_id = ?1 AND expires_at > ?4",
];

fn carry_expiry_to_children(
    tx: &Transaction<'_>,
    event_id: EventId,
    expires_at: Timestamp,
) -> Result<()> {
    let id = event_id.to_string();
    // The body holds the timestamp as serde writes it (an RFC 3339 string).
    let text = expires_at.to_rfc3339();
    let now = now_secs();
    for sql in CASCADE_EXPIRY {
        tx.execute(sql, params![id, expires_at.epoch_secs(), text, now])
            .map_err(db_err)?;
    }
    Ok(())
}

pub(super) fn add_photo_count(
    conn: &mut Connection,
    event_id: EventId,
    delta: i64,
    limit: u64,
) -> Result<u64> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    let event = live(load(&tx, event_id)?)?;
    let next = i128::from(event.photo_count) + i128::from(delta);
    if next > i128::from(limit) {
        return Err(Error::too_large(
            "event_photo_limit",
            format!("an event holds at most {limit} photos"),
        ));
    }
    let next = u64::try_from(next).map_err(|_| {
        Error::conflict(
            "photo_count_negative",
            "the event has fewer photos than that",
        )
    })?;
    tx.execute(
        "UPDATE events SET photo_count = ?2 WHERE event_id = ?1",
        params![event_id.to_string(), to_i64(next)?],
    )
    .map_err(db_err)?;
    tx.commit().map_err(db_err)?;
    Ok(next)
}

pub(super) fn delete(
    conn: &mut Connection,
    event: &Event,
    tombstone_until: Option<Timestamp>,
) -> Result<()> {
    let id = event.event_id.to_string();
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    for sql in [
        "DELETE FROM photos WHERE event_id = ?1",
        "DELETE FROM access_codes WHERE event_id = ?1",
        "DELETE FROM jobs WHERE event_id = ?1",
        "DELETE FROM events WHERE event_id = ?1",
    ] {
        tx.execute(sql, [&id]).map_err(db_err)?;
    }
    release_path(&tx, event, tombstone_until)?;
    tx.commit().map_err(db_err)
}

/// Only the path this event still holds (or a free one) is touched: a newer event may have
/// claimed it.
fn release_path(
    tx: &Transaction<'_>,
    event: &Event,
    tombstone_until: Option<Timestamp>,
) -> Result<()> {
    let id = event.event_id.to_string();
    match tombstone_until {
        Some(until) => tx.execute(
            "INSERT INTO event_paths (owner_id, slug, event_id, tombstone_until) \
             VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (owner_id, slug) DO UPDATE SET tombstone_until = excluded.tombstone_until \
             WHERE event_paths.event_id = excluded.event_id",
            params![
                event.owner_id.to_string(),
                event.slug,
                id,
                until.epoch_secs()
            ],
        ),
        None => tx.execute("DELETE FROM event_paths WHERE event_id = ?1", [&id]),
    }
    .map(drop)
    .map_err(db_err)
}

pub(super) fn list_expired(
    conn: &Connection,
    now: Timestamp,
    page: &PageRequest,
) -> Result<Page<Event>> {
    let scope = "events/expired";
    let after: Option<(i64, String)> = cursor_key(page, scope)?;
    let limit = fetch_limit(page);
    let sql = if after.is_some() {
        EXPIRED_AFTER
    } else {
        EXPIRED_FIRST
    };
    let (expires_after, id_after) = after.unzip();
    let rows = query_events(
        conn,
        sql,
        params![now.epoch_secs(), limit, expires_after, id_after],
    )?;
    finish_page(rows, page, scope, |e| {
        (e.expires_at.epoch_secs(), e.event_id.to_string())
    })
}
