//! The connection settings and the one table every queue in the file shares.

use std::time::Duration;

use rusqlite::Connection;

use super::rows::db_err;
use crate::error::Result;

/// How long a statement waits for another connection's write lock before giving up with a
/// `Transient` error. Queue transactions last milliseconds; this only rides out a burst.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Creates what is missing; safe to run on every open, from any number of connections.
///
/// - `seq` is the send order; with `visible_at` it gives "oldest available first".
/// - `visible_at` is epoch milliseconds (wall clock, so it means the same after a restart).
/// - `receipt` is the current delivery's handle, NULL when nobody holds the message.
/// - `dead_at` is NULL for a live message, the epoch milliseconds of the move otherwise:
///   the dead-letter list is the same rows, so moving a message is one `UPDATE`.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS queue_messages (
    seq           INTEGER PRIMARY KEY,
    queue         TEXT NOT NULL,
    message_id    TEXT NOT NULL UNIQUE,
    body          TEXT NOT NULL,
    visible_at    INTEGER NOT NULL,
    receive_count INTEGER NOT NULL,
    receipt       TEXT,
    dead_at       INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS queue_messages_ready
    ON queue_messages (queue, visible_at, seq) WHERE dead_at IS NULL;
CREATE INDEX IF NOT EXISTS queue_messages_dead
    ON queue_messages (queue, dead_at, seq) WHERE dead_at IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS queue_messages_receipt
    ON queue_messages (receipt) WHERE receipt IS NOT NULL;
";

/// Connection settings, then the schema.
pub(super) fn prepare(conn: &Connection) -> Result<()> {
    // First, so that a second connection opening a new file waits for the first one's
    // schema instead of failing on its lock.
    conn.busy_timeout(BUSY_TIMEOUT).map_err(db_err)?;
    // WAL: readers (the long-poll's probes) never block the writer, and writers in other
    // connections and processes queue behind one lock.
    let _mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(db_err)?;
    // FULL, not the catalog's NORMAL: a commit is fsynced before `send` returns, so a sent
    // message survives a power cut or an OS crash, not only a killed process. The price is
    // one fsync per send, receive, ack or release; `send_batch` pays one for the whole batch.
    conn.execute_batch("PRAGMA synchronous = FULL;")
        .map_err(db_err)?;
    conn.execute_batch(SCHEMA).map_err(db_err)
}
