//! Photos: batch registration, digest lookup, and index-ordered pages.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use rusqlite::types::Value;

use super::events;
use super::rows::{
    cursor_key, db_err, fetch_limit, finish_page, from_json, is_constraint, now_secs, to_i64,
    to_json,
};
use super::versioned::VersionedRow;
use crate::domain::{EventId, Page, PageRequest, Photo, PhotoId, Timestamp};
use crate::error::{Error, Result};
use crate::ports::catalog::in_requested_order;
use crate::ports::{PhotoQuery, PhotoSort, child_expiry};

/// Capture time for ordering; unknown times sort after every real one.
fn taken_key(photo: &Photo) -> i64 {
    photo.taken_at().map_or(i64::MAX, |t| t.epoch_secs())
}

fn not_found() -> Error {
    Error::not_found("photo_not_found", "no such photo")
}

fn decode(body: &str) -> Result<Photo> {
    from_json(body)
}

pub(super) fn insert(conn: &mut Connection, photos: &[Photo]) -> Result<()> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    {
        // Read inside the write transaction, so no expiry change can slip in between.
        let now = Timestamp::now();
        let mut event_expiry = HashMap::new();
        let mut stmt = tx
            .prepare_cached(
                "INSERT INTO photos (event_id, photo_id, sha256, status, taken_key, expires_at,
                                     version, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .map_err(db_err)?;
        for photo in photos {
            let event = match event_expiry.entry(photo.event_id) {
                Entry::Occupied(known) => *known.get(),
                Entry::Vacant(slot) => *slot.insert(events::stored_expiry(&tx, photo.event_id)?),
            };
            let expires_at = child_expiry(photo.expires_at, event, now);
            let photo = if expires_at == photo.expires_at {
                Cow::Borrowed(photo)
            } else {
                Cow::Owned(Photo {
                    expires_at,
                    ..photo.clone()
                })
            };
            stmt.execute(params![
                photo.event_id.to_string(),
                photo.photo_id.to_string(),
                photo.sha256,
                photo.status.as_str(),
                taken_key(&photo),
                photo.expires_at.epoch_secs(),
                to_i64(photo.version)?,
                to_json(&*photo)?
            ])
            .map_err(|e| {
                if is_constraint(&e) {
                    Error::conflict("photo_exists", "a photo with that id already exists")
                } else {
                    db_err(e)
                }
            })?;
        }
    }
    // Dropping the transaction on any error above rolls the whole batch back.
    tx.commit().map_err(db_err)
}

pub(super) fn get(conn: &Connection, event_id: EventId, photo_id: PhotoId) -> Result<Photo> {
    let body: Option<String> = conn
        .prepare_cached(
            "SELECT body FROM photos WHERE event_id = ?1 AND photo_id = ?2 AND expires_at > ?3",
        )
        .map_err(db_err)?
        .query_row(
            params![event_id.to_string(), photo_id.to_string(), now_secs()],
            |row| row.get(0),
        )
        .optional()
        .map_err(db_err)?;
    decode(&body.ok_or_else(not_found)?)
}

/// One query for every id (a JSON array, read with `json_each`); each row found by the
/// primary key.
pub(super) fn get_many(
    conn: &Connection,
    event_id: EventId,
    photo_ids: &[PhotoId],
) -> Result<Vec<Photo>> {
    let ids = to_json(photo_ids)?;
    let bodies = conn
        .prepare_cached(
            "SELECT body FROM photos
             WHERE event_id = ?1 AND photo_id IN (SELECT value FROM json_each(?2))
               AND expires_at > ?3",
        )
        .map_err(db_err)?
        .query_map(params![event_id.to_string(), ids, now_secs()], |row| {
            row.get::<_, String>(0)
        })
        .map_err(db_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_err)?;
    let found = bodies
        .iter()
        .map(|b| decode(b))
        .collect::<Result<Vec<_>>>()?;
    Ok(in_requested_order(photo_ids, found))
}

pub(super) fn find_by_sha256(
    conn: &Connection,
    event_id: EventId,
    digests: &[String],
) -> Result<Vec<Photo>> {
    // One read transaction for every lookup: on its own, each statement would begin and end
    // a WAL read transaction (shared-memory lock and file-lock syscalls) per digest, which
    // cost more than the index lookups themselves (500 digests per uploads call).
    let tx = conn.unchecked_transaction().map_err(db_err)?;
    let mut out = Vec::new();
    {
        let mut stmt = tx
            .prepare_cached(
                "SELECT body FROM photos WHERE event_id = ?1 AND sha256 = ?2 AND expires_at > ?3
                 ORDER BY photo_id",
            )
            .map_err(db_err)?;
        let event = event_id.to_string();
        let now = now_secs();
        let mut seen = std::collections::HashSet::new();
        for digest in digests.iter().filter(|d| seen.insert(d.as_str())) {
            let bodies = stmt
                .query_map(params![event, digest, now], |row| row.get::<_, String>(0))
                .map_err(db_err)?;
            for body in bodies {
                out.push(decode(&body.map_err(db_err)?)?);
            }
        }
    }
    // Read-only: committing just ends the snapshot.
    tx.commit().map_err(db_err)?;
    Ok(out)
}

/// One SQL text per (sort, filter, first page or not), each answered by reading one index
/// range in order: `photos` PK for upload order, `photos_by_taken` / `photos_by_status*`
/// otherwise. `?1` event, `?2` now, `?3` limit, `?4` status, `?5`/`?6` the cursor key.
pub(super) fn list_sql(query: &PhotoQuery, continued: bool) -> String {
    let status = if query.status.is_some() {
        " AND status = ?4"
    } else {
        " AND ?4 IS NULL"
    };
    let (after, order) = match query.sort {
        PhotoSort::Uploaded => (" AND photo_id > ?6", "photo_id"),
        PhotoSort::Taken => (
            " AND (taken_key, photo_id) > (?5, ?6)",
            "taken_key, photo_id",
        ),
    };
    let after = if continued {
        after
    } else {
        " AND ?5 IS NULL AND ?6 IS NULL"
    };
    format!(
        "SELECT body FROM photos WHERE event_id = ?1{status}{after} AND expires_at > ?2
         ORDER BY {order} LIMIT ?3"
    )
}

fn scope(event_id: EventId, query: &PhotoQuery) -> String {
    let sort = match query.sort {
        PhotoSort::Uploaded => "uploaded",
        PhotoSort::Taken => "taken",
    };
    let status = query.status.map_or("any", |s| s.as_str());
    format!("photos/{event_id}/{sort}/{status}")
}

pub(super) fn list(
    conn: &Connection,
    event_id: EventId,
    query: &PhotoQuery,
    page: &PageRequest,
) -> Result<Page<Photo>> {
    let scope = scope(event_id, query);
    let after: Option<(i64, String)> = cursor_key(page, &scope)?;
    let sql = list_sql(query, after.is_some());
    let (taken_after, id_after) = after.unzip();
    let mut stmt = conn.prepare_cached(&sql).map_err(db_err)?;
    let bodies = stmt
        .query_map(
            params![
                event_id.to_string(),
                now_secs(),
                fetch_limit(page),
                query.status.map(|s| s.as_str()),
                taken_after,
                id_after
            ],
            |row| row.get::<_, String>(0),
        )
        .map_err(db_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_err)?;
    let photos = bodies
        .iter()
        .map(|b| decode(b))
        .collect::<Result<Vec<_>>>()?;
    finish_page(photos, page, &scope, |p| match query.sort {
        PhotoSort::Uploaded => (0, p.photo_id.to_string()),
        PhotoSort::Taken => (taken_key(p), p.photo_id.to_string()),
    })
}

pub(super) fn update(conn: &mut Connection, change: &Photo) -> Result<Photo> {
    let key = [
        ("event_id", change.event_id.to_string()),
        ("photo_id", change.photo_id.to_string()),
    ];
    let row = VersionedRow {
        table: "photos",
        key: &key,
        noun: "photo",
    };
    row.update_child(conn, change.version, not_found, |version, expires_at| {
        // The expiry is the event's (`update_event` cascades it): a copy read before a
        // cascade must not put the old one back.
        let photo = Photo {
            version,
            expires_at,
            ..change.clone()
        };
        let set = vec![
            ("sha256", Value::Text(photo.sha256.clone())),
            ("status", Value::Text(photo.status.as_str().to_owned())),
            ("taken_key", Value::Integer(taken_key(&photo))),
            ("expires_at", Value::Integer(photo.expires_at.epoch_secs())),
            ("body", Value::Text(to_json(&photo)?)),
        ];
        Ok((photo, set))
    })
}

/// Deletes the live row and gives its place back to the event's counter in one transaction,
/// so of racing deletes only the one that removed the row decrements.
pub(super) fn delete(conn: &mut Connection, event_id: EventId, photo_id: PhotoId) -> Result<bool> {
    let event = event_id.to_string();
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    let deleted = tx
        .execute(
            "DELETE FROM photos WHERE event_id = ?1 AND photo_id = ?2 AND expires_at > ?3",
            params![event, photo_id.to_string(), now_secs()],
        )
        .map_err(db_err)?
        == 1;
    if deleted {
        // A counter already at zero (or no event row) stays as it is; the row goes anyway.
        tx.execute(
            "UPDATE events SET photo_count = photo_count - 1
             WHERE event_id = ?1 AND photo_count > 0",
            [&event],
        )
        .map_err(db_err)?;
    }
    tx.commit().map_err(db_err)?;
    Ok(deleted)
}
