//! The tables: the shape of DESIGN §4, with the columns lists filter and sort on broken
//! out of the entity, which is kept whole as JSON in `body`.

use rusqlite::Connection;

use super::rows::db_err;
use crate::error::Result;

/// Creates what is missing; safe to run on every open.
///
/// `taken_key` is the capture time in epoch seconds, or `i64::MAX` when unknown, so one
/// index serves "by capture time, unknown last, ties by id". Every list query reads one
/// index range in order (no sort of the whole event), and expiry is checked per row.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    user_id  TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    email    TEXT NOT NULL UNIQUE,
    body     TEXT NOT NULL
) STRICT;

-- Names given up by a rename, held for their former owner until `until` (epoch seconds).
CREATE TABLE IF NOT EXISTS username_holds (
    username TEXT PRIMARY KEY,
    user_id  TEXT NOT NULL,
    until    INTEGER NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS events (
    event_id    TEXT PRIMARY KEY,
    owner_id    TEXT NOT NULL,
    slug        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    photo_count INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    body        TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS events_by_owner ON events (owner_id, created_at, event_id);
CREATE INDEX IF NOT EXISTS events_by_expiry ON events (expires_at, event_id);

-- Public paths (owner, slug): claimed by a live event, or held by a tombstone after delete.
CREATE TABLE IF NOT EXISTS event_paths (
    owner_id        TEXT NOT NULL,
    slug            TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    tombstone_until INTEGER,
    PRIMARY KEY (owner_id, slug)
) STRICT;
CREATE INDEX IF NOT EXISTS event_paths_by_event ON event_paths (event_id);

CREATE TABLE IF NOT EXISTS photos (
    event_id   TEXT NOT NULL,
    photo_id   TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    status     TEXT NOT NULL,
    taken_key  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    version    INTEGER NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (event_id, photo_id)
) STRICT;
CREATE INDEX IF NOT EXISTS photos_by_sha256 ON photos (event_id, sha256);
CREATE INDEX IF NOT EXISTS photos_by_taken ON photos (event_id, taken_key, photo_id);
CREATE INDEX IF NOT EXISTS photos_by_status ON photos (event_id, status, photo_id);
CREATE INDEX IF NOT EXISTS photos_by_status_taken
    ON photos (event_id, status, taken_key, photo_id);

CREATE TABLE IF NOT EXISTS access_codes (
    event_id   TEXT NOT NULL,
    code_key   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    version    INTEGER NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (event_id, code_key)
) STRICT;
CREATE INDEX IF NOT EXISTS access_codes_by_created
    ON access_codes (event_id, created_at, code_key);

CREATE TABLE IF NOT EXISTS counters (
    key        TEXT PRIMARY KEY,
    count      INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS jobs (
    event_id   TEXT NOT NULL,
    job_id     TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    version    INTEGER NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (event_id, job_id)
) STRICT;
";

/// Connection settings, then the schema.
pub(super) fn prepare(conn: &Connection) -> Result<()> {
    // WAL lets readers in other processes (the local stack's functions) run beside a writer;
    // `synchronous = NORMAL` is durable across application crashes in WAL mode and keeps a
    // 500-photo registration to one cheap commit.
    let _mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(db_err)?;
    conn.execute_batch(
        "PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;",
    )
    .map_err(db_err)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(db_err)?;
    conn.execute_batch(SCHEMA).map_err(db_err)
}
