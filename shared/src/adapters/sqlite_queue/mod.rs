//! `SqliteQueue`: the queue port on a SQLite file, for the local stack (`picpass serve`
//! keeps all its queues in one file in its data dir). Same delivery semantics as SQS and
//! `MemoryQueue` (visibility timeout, receive counts, a dead-letter list after too many
//! receives), but work survives a restart.
//!
//! # Layout
//! One table, `queue_messages` ([`schema`]), holds every queue of the file, told apart by
//! its `queue` column; a row is one message: `seq` (send order), `message_id`, `body`,
//! `visible_at` (epoch ms), `receive_count`, `receipt` (the current delivery's, or NULL)
//! and `dead_at` (NULL while live; set, the row is in that queue's dead-letter list).
//! Settings (visibility timeout, max receives) are not stored: each opener passes its own.
//!
//! # Guarantees
//! - **Durable**: `send` and `send_batch` return after their transaction is committed and
//!   fsynced (WAL, `synchronous = FULL`). A batch is all or nothing.
//! - **At least once**: a delivery hides the message until `visible_at`; a process killed
//!   (even `kill -9`) holding deliveries loses nothing, and once the visibility ends the
//!   messages are delivered again with `receive_count` one higher. An acked message is
//!   deleted in its own commit and never comes back.
//! - **Receipts**: every delivery gets a fresh one. Ack or release with a receipt that is
//!   not the message's current delivery (it was acked, released or redelivered) is a
//!   `Conflict` and changes nothing, as with `MemoryQueue`; SQS answers a stale delete with
//!   success and deletes nothing. Either way the newer delivery is untouched.
//! - **Dead letters**: the receive that would deliver a message for the
//!   `max_receives + 1`-th time moves it to the dead-letter list instead (SQS's redrive
//!   rule). Dead letters are read, never removed, by `receive_dead_letters`.
//! - **Order**: oldest available first (by `visible_at`, then send order); a released
//!   message queues behind what was already waiting. Not guaranteed, like standard SQS.
//! - **Limits as SQS**: bodies of 1 byte to 256 KiB, at most 10 messages per receive,
//!   waits of at most 20 s.
//! - **Clock**: visibility is wall-clock time, so it holds across restarts; setting the
//!   clock forward ends visibility early (a redelivery, which at-least-once allows), back
//!   extends it.
//!
//! # Concurrency
//! Each `SqliteQueue::open` makes one connection (clones share it), used on tokio's
//! blocking pool behind a mutex, as `SqliteCatalog` does. Several queues (or several
//! handles of one queue) on one file, in one process or many, are separate connections:
//! SQLite's file lock with WAL and a busy timeout already serialises writers across
//! processes, so sharing a connection within a process would add a second mechanism for a
//! case the first one covers. Every change is one `IMMEDIATE` transaction, so no two
//! receivers ever get the same delivery.
//!
//! A waiting `receive` sleeps until a send or release through any handle of the queue in
//! this process ([`wakeups`]), the earliest end of a visibility, or [`POLL_INTERVAL`]
//! (for sends from other processes), whichever comes first, then looks with a read that
//! takes no lock.

mod messages;
mod rows;
mod schema;
mod wakeups;

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::Connection;
use tokio::sync::Notify;
use tokio::time::Instant;
use tracing::instrument;

use crate::error::{Error, Result};
use crate::ports::queue::{Delivery, QueueConsumer, QueueSender};
use messages::Look;
use rows::db_err;

/// SQS's largest message body.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// SQS's most messages per receive.
pub const MAX_RECEIVE_BATCH: u32 = 10;
/// SQS's longest long-poll.
pub const MAX_WAIT: Duration = Duration::from_secs(20);
/// How often a waiting receiver looks for what no in-process wake-up announces: sends
/// from other processes. Five cheap reads a second per waiting receiver.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// How a queue treats its deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueSettings {
    /// How long a delivery hides its message from other receivers.
    pub visibility_timeout: Duration,
    /// Receives after which the next receive moves the message to the dead-letter list
    /// (SQS's `maxReceiveCount`; 0 is taken as 1).
    pub max_receives: u32,
}

/// How many messages a queue holds, by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueDepth {
    /// Ready for a receive (including those the next receive will dead-letter).
    pub visible: u64,
    /// Hidden: delivered and not yet acked, or released with a delay that has not passed.
    pub in_flight: u64,
    /// In the dead-letter list.
    pub dead: u64,
}

/// A message in the dead-letter list, as `picpass dlq list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeadLetter {
    pub message_id: String,
    pub body: String,
    /// Deliveries it had before it moved.
    pub receive_count: u32,
    /// When it moved to the dead-letter list (milliseconds since the epoch).
    pub dead_at_ms: i64,
}

/// One named queue, with its dead-letter list, in a SQLite database file.
#[derive(Clone)]
pub struct SqliteQueue {
    name: Arc<str>,
    settings: QueueSettings,
    conn: Arc<Mutex<Connection>>,
    /// Shared by every handle of this queue and file in the process ([`wakeups`]).
    arrivals: Arc<Notify>,
}

impl std::fmt::Debug for SqliteQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteQueue")
            .field("name", &self.name)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl SqliteQueue {
    /// Opens the queue `name` in the database at `path` (creating the file and the table if
    /// needed), on a connection of its own. Other queues of the same file are untouched.
    /// `name` follows SQS's rule: 1 to 80 of `A-Z a-z 0-9 - _`. Blocks briefly: call it at
    /// start-up.
    pub fn open(path: impl AsRef<Path>, name: &str, settings: QueueSettings) -> Result<Self> {
        check_name(name)?;
        let path = path.as_ref();
        let conn = Connection::open(path).map_err(db_err)?;
        schema::prepare(&conn)?;
        Ok(Self {
            name: name.into(),
            settings: QueueSettings {
                max_receives: settings.max_receives.max(1),
                ..settings
            },
            conn: Arc::new(Mutex::new(conn)),
            arrivals: wakeups::for_queue(path, name),
        })
    }

    /// The queue's name in its file.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many messages are visible, in flight and dead: one indexed count, cheap enough
    /// for a status line.
    #[instrument(level = "debug", skip_all, fields(queue = %self.name))]
    pub async fn depth(&self) -> Result<QueueDepth> {
        let name = Arc::clone(&self.name);
        self.run(move |c| messages::depth(c, &name)).await
    }

    /// Makes every message delivered and not yet acked or released visible again now, for
    /// a consumer that knows the previous receivers are gone (`picpass serve` at start-up,
    /// holding its data directory's lock). Returns how many.
    #[instrument(level = "debug", skip_all, fields(queue = %self.name))]
    pub async fn make_in_flight_visible(&self) -> Result<u64> {
        let name = Arc::clone(&self.name);
        let made = self
            .run(move |c| messages::make_in_flight_visible(c, &name))
            .await?;
        if made > 0 {
            self.arrivals.notify_waiters();
        }
        Ok(made)
    }

    /// Up to `max` dead letters, oldest first, left where they are.
    #[instrument(level = "debug", skip_all, fields(queue = %self.name))]
    pub async fn list_dead_letters(&self, max: u32) -> Result<Vec<DeadLetter>> {
        let name = Arc::clone(&self.name);
        self.run(move |c| messages::list_dead(c, &name, max)).await
    }

    /// Moves the dead letters `ids` (all of them for `None`) back into the queue, visible
    /// now and with a fresh receive count, as SQS's redrive does. Returns how many moved;
    /// an id that is not a dead letter of this queue is skipped.
    #[instrument(level = "debug", skip_all, fields(queue = %self.name))]
    pub async fn redrive(&self, ids: Option<Vec<String>>) -> Result<u64> {
        let name = Arc::clone(&self.name);
        let moved = self
            .run(move |c| messages::redrive(c, &name, ids.as_deref()))
            .await?;
        if moved > 0 {
            self.arrivals.notify_waiters();
        }
        Ok(moved)
    }

    /// Runs `op` with the connection on the blocking pool.
    async fn run<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            // A panic mid-call leaves no half-done work behind: its transaction rolled back
            // when it unwound, so the connection is safe to keep using.
            let mut guard = conn.lock().unwrap_or_else(PoisonError::into_inner);
            op(&mut guard)
        })
        .await
        .map_err(|e| Error::internal("queue task failed", e))?
    }

    /// Looks with `look` until it finds something or `wait` (at most [`MAX_WAIT`]) ends.
    async fn long_poll<F>(&self, wait: Duration, look: F) -> Result<Vec<Delivery>>
    where
        F: Fn(&mut Connection) -> Result<Look> + Clone + Send + 'static,
    {
        let deadline = Instant::now() + wait.min(MAX_WAIT);
        loop {
            // Registered before looking, so a send between the look and the sleep still wakes us.
            let arrival = self.arrivals.notified();
            tokio::pin!(arrival);
            arrival.as_mut().enable();

            let found = self.run(look.clone()).await?;
            if found.dead_lettered {
                // Someone may be waiting for dead letters.
                self.arrivals.notify_waiters();
            }
            if !found.found.is_empty() {
                return Ok(found.found);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(Vec::new());
            }
            let next_look = found
                .next_visible_in
                .map_or(POLL_INTERVAL, |in_| in_.min(POLL_INTERVAL));
            tokio::select! {
                () = &mut arrival => {}
                () = tokio::time::sleep_until(deadline.min(now + next_look)) => {}
            }
        }
    }
}

/// SQS's queue-name rule, so a name that works here works there.
fn check_name(name: &str) -> Result<()> {
    let valid = (1..=80).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(Error::invalid(
            "invalid_queue_name",
            "A queue name is 1 to 80 letters, digits, hyphens or underscores.",
        ))
    }
}

/// SQS's body rule: not empty, at most [`MAX_BODY_BYTES`] of UTF-8.
fn check_body(body: &str) -> Result<()> {
    if body.is_empty() {
        return Err(Error::invalid(
            "message_empty",
            "A queue message needs a body.",
        ));
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(Error::too_large(
            "message_too_large",
            format!("A queue message body is at most {MAX_BODY_BYTES} bytes."),
        ));
    }
    Ok(())
}

#[async_trait]
impl QueueSender for SqliteQueue {
    #[instrument(level = "debug", skip_all, fields(queue = %self.name))]
    async fn send(&self, body: &str) -> Result<()> {
        self.send_batch(&[body.to_owned()]).await
    }

    #[instrument(level = "debug", skip_all, fields(queue = %self.name, count = bodies.len()))]
    async fn send_batch(&self, bodies: &[String]) -> Result<()> {
        // Every body checked before any is written: a refused batch sends nothing.
        bodies.iter().try_for_each(|body| check_body(body))?;
        if bodies.is_empty() {
            return Ok(());
        }
        let name = Arc::clone(&self.name);
        let bodies = bodies.to_vec();
        self.run(move |c| messages::insert(c, &name, &bodies))
            .await?;
        self.arrivals.notify_waiters();
        Ok(())
    }
}

#[async_trait]
impl QueueConsumer for SqliteQueue {
    #[instrument(level = "debug", skip_all, fields(queue = %self.name, max))]
    async fn receive(&self, max: u32, wait: Duration) -> Result<Vec<Delivery>> {
        let name = Arc::clone(&self.name);
        let settings = self.settings;
        let max = max.clamp(1, MAX_RECEIVE_BATCH);
        self.long_poll(wait, move |c| messages::receive(c, &name, settings, max))
            .await
    }

    #[instrument(level = "debug", skip_all, fields(queue = %self.name, message_id = %delivery.message_id))]
    async fn ack(&self, delivery: &Delivery) -> Result<()> {
        let name = Arc::clone(&self.name);
        let receipt = delivery.receipt.clone();
        self.run(move |c| messages::ack(c, &name, &receipt)).await
    }

    #[instrument(level = "debug", skip_all, fields(queue = %self.name, message_id = %delivery.message_id))]
    async fn release(&self, delivery: &Delivery, delay: Duration) -> Result<()> {
        let name = Arc::clone(&self.name);
        let receipt = delivery.receipt.clone();
        self.run(move |c| messages::release(c, &name, &receipt, delay))
            .await?;
        // Waiting receivers look again: the message is visible now, or sooner than they thought.
        self.arrivals.notify_waiters();
        Ok(())
    }

    #[instrument(level = "debug", skip_all, fields(queue = %self.name, max))]
    async fn receive_dead_letters(&self, max: u32, wait: Duration) -> Result<Vec<Delivery>> {
        let name = Arc::clone(&self.name);
        let max = max.clamp(1, MAX_RECEIVE_BATCH);
        self.long_poll(wait, move |c| messages::dead_letters(c, &name, max))
            .await
    }
}

#[cfg(test)]
mod tests;
