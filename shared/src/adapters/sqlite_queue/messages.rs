//! The queue's statements. Each public function is one transaction (or one autocommit
//! statement), so a process killed between two of them leaves nothing half done.

use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior, params};

use super::rows::{after, db_err, delivery, new_receipt, not_in_flight, now_ms, to_u32, until};
use super::{DeadLetter, QueueDepth, QueueSettings};
use crate::error::{Error, Result};
use crate::ports::queue::Delivery;

/// What one look at the queue found.
#[derive(Debug, Default)]
pub(super) struct Look {
    /// The deliveries made (or dead letters read).
    pub found: Vec<Delivery>,
    /// How long until the earliest hidden message becomes visible, if one is hidden.
    pub next_visible_in: Option<Duration>,
    /// Whether this look moved messages to the dead-letter list.
    pub dead_lettered: bool,
}

/// Appends `bodies`, visible at once, in one transaction: all of them or none.
pub(super) fn insert(conn: &mut Connection, queue: &str, bodies: &[String]) -> Result<()> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    let now = now_ms();
    {
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO queue_messages (queue, message_id, body, visible_at, receive_count)
                 VALUES (?1, ?2, ?3, ?4, 0)",
            )
            .map_err(db_err)?;
        for body in bodies {
            let message_id = ulid::Ulid::generate().to_string();
            insert
                .execute(params![queue, message_id, body, now])
                .map_err(db_err)?;
        }
    }
    tx.commit().map_err(db_err)
}

/// Delivers up to `max` visible messages, oldest available first, after moving those
/// received `max_receives` times to the dead-letter list.
///
/// Looks with a plain read first, so an idle long-poll never takes the write lock.
pub(super) fn receive(
    conn: &mut Connection,
    queue: &str,
    settings: QueueSettings,
    max: u32,
) -> Result<Look> {
    let now = now_ms();
    let (any_visible, next_visible_at) = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM queue_messages
                            WHERE queue = ?1 AND dead_at IS NULL AND visible_at <= ?2),
                    (SELECT MIN(visible_at) FROM queue_messages
                     WHERE queue = ?1 AND dead_at IS NULL AND visible_at > ?2)",
            params![queue, now],
            |row| Ok((row.get::<_, bool>(0)?, row.get::<_, Option<i64>>(1)?)),
        )
        .map_err(db_err)?;
    if !any_visible {
        return Ok(Look {
            next_visible_in: next_visible_at.map(|at| until(now, at)),
            ..Look::default()
        });
    }

    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    // The clock again: the write lock may have taken a while to get.
    let now = now_ms();
    let dead_lettered = dead_letter_over_limit(&tx, queue, settings.max_receives, now)?;
    let found = deliver(&tx, queue, settings.visibility_timeout, max, now)?;
    tx.commit().map_err(db_err)?;
    Ok(Look {
        found,
        next_visible_in: None,
        dead_lettered,
    })
}

/// Moves every visible message already received `max_receives` times to the dead-letter
/// list: the receive that would deliver it once more is when SQS's redrive policy moves it.
fn dead_letter_over_limit(
    tx: &Transaction<'_>,
    queue: &str,
    max_receives: u32,
    now: i64,
) -> Result<bool> {
    let mut moved = tx
        .prepare_cached(
            "UPDATE queue_messages SET dead_at = ?3, receipt = NULL
             WHERE queue = ?1 AND dead_at IS NULL AND visible_at <= ?3 AND receive_count >= ?2
             RETURNING message_id, receive_count",
        )
        .map_err(db_err)?;
    let mut rows = moved
        .query(params![queue, max_receives, now])
        .map_err(db_err)?;
    let mut any = false;
    while let Some(row) = rows.next().map_err(db_err)? {
        let message_id: String = row.get(0).map_err(db_err)?;
        let receive_count = to_u32(row.get(1).map_err(db_err)?)?;
        tracing::warn!(
            queue,
            message_id,
            receive_count,
            "message moved to the dead-letter list"
        );
        any = true;
    }
    Ok(any)
}

/// Hands out up to `max` visible messages, each with a fresh receipt, hidden for
/// `visibility_timeout`.
fn deliver(
    tx: &Transaction<'_>,
    queue: &str,
    visibility_timeout: Duration,
    max: u32,
    now: i64,
) -> Result<Vec<Delivery>> {
    let mut select = tx
        .prepare_cached(
            "SELECT message_id, body, receive_count + 1, seq FROM queue_messages
             WHERE queue = ?1 AND dead_at IS NULL AND visible_at <= ?2
             ORDER BY visible_at, seq LIMIT ?3",
        )
        .map_err(db_err)?;
    let mut take = tx
        .prepare_cached(
            "UPDATE queue_messages
             SET receive_count = receive_count + 1, visible_at = ?2, receipt = ?3
             WHERE seq = ?1",
        )
        .map_err(db_err)?;
    // Read them all before changing any: updating rows under an open cursor on the same
    // index is what SQLite leaves undefined.
    let mut picked = Vec::new();
    let mut rows = select.query(params![queue, now, max]).map_err(db_err)?;
    while let Some(row) = rows.next().map_err(db_err)? {
        let seq: i64 = row.get(3).map_err(db_err)?;
        picked.push((seq, delivery(row, new_receipt())?));
    }
    drop(rows);
    let hidden_until = after(now, visibility_timeout);
    let mut found = Vec::with_capacity(picked.len());
    for (seq, delivery) in picked {
        take.execute(params![seq, hidden_until, delivery.receipt])
            .map_err(db_err)?;
        found.push(delivery);
    }
    Ok(found)
}

/// Deletes the message `receipt` is the current delivery of.
pub(super) fn ack(conn: &mut Connection, queue: &str, receipt: &str) -> Result<()> {
    let deleted = conn
        .prepare_cached("DELETE FROM queue_messages WHERE queue = ?1 AND receipt = ?2")
        .and_then(|mut delete| delete.execute(params![queue, receipt]))
        .map_err(db_err)?;
    if deleted == 0 {
        return Err(not_in_flight());
    }
    Ok(())
}

/// Ends the delivery `receipt` names: the message is visible again after `delay`.
pub(super) fn release(
    conn: &mut Connection,
    queue: &str,
    receipt: &str,
    delay: Duration,
) -> Result<()> {
    let updated = conn
        .prepare_cached(
            "UPDATE queue_messages SET visible_at = ?3, receipt = NULL
             WHERE queue = ?1 AND receipt = ?2",
        )
        .and_then(|mut release| release.execute(params![queue, receipt, after(now_ms(), delay)]))
        .map_err(db_err)?;
    if updated == 0 {
        return Err(not_in_flight());
    }
    Ok(())
}

/// Up to `max` dead letters, oldest move first. They stay where they are (a person
/// inspects them); each read gets a receipt of its own that nothing accepts.
pub(super) fn dead_letters(conn: &mut Connection, queue: &str, max: u32) -> Result<Look> {
    let mut select = conn
        .prepare_cached(
            "SELECT message_id, body, receive_count FROM queue_messages
             WHERE queue = ?1 AND dead_at IS NOT NULL
             ORDER BY dead_at, seq LIMIT ?2",
        )
        .map_err(db_err)?;
    let mut rows = select.query(params![queue, max]).map_err(db_err)?;
    let mut found = Vec::new();
    while let Some(row) = rows.next().map_err(db_err)? {
        found.push(delivery(row, new_receipt())?);
    }
    Ok(Look {
        found,
        ..Look::default()
    })
}

/// Up to `max` dead letters, oldest move first, with when each moved (epoch ms).
pub(super) fn list_dead(conn: &mut Connection, queue: &str, max: u32) -> Result<Vec<DeadLetter>> {
    let mut select = conn
        .prepare_cached(
            "SELECT message_id, body, receive_count, dead_at FROM queue_messages
             WHERE queue = ?1 AND dead_at IS NOT NULL
             ORDER BY dead_at, seq LIMIT ?2",
        )
        .map_err(db_err)?;
    let mut rows = select.query(params![queue, max]).map_err(db_err)?;
    let mut found = Vec::new();
    while let Some(row) = rows.next().map_err(db_err)? {
        let message = delivery(row, String::new())?;
        found.push(DeadLetter {
            message_id: message.message_id,
            body: message.body,
            receive_count: message.receive_count,
            dead_at_ms: row.get(3).map_err(db_err)?,
        });
    }
    Ok(found)
}

/// Moves dead letters back into the queue, visible now with a fresh receive count: those
/// named by `ids`, or all of them when `ids` is `None`. Returns how many moved.
pub(super) fn redrive(conn: &mut Connection, queue: &str, ids: Option<&[String]>) -> Result<u64> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    let now = now_ms();
    let mut moved = 0;
    {
        let sql_all = "UPDATE queue_messages SET dead_at = NULL, receive_count = 0,
                              visible_at = ?2, receipt = NULL
                       WHERE queue = ?1 AND dead_at IS NOT NULL";
        let sql_one = "UPDATE queue_messages SET dead_at = NULL, receive_count = 0,
                              visible_at = ?2, receipt = NULL
                       WHERE queue = ?1 AND dead_at IS NOT NULL AND message_id = ?3";
        match ids {
            None => moved += tx.execute(sql_all, params![queue, now]).map_err(db_err)?,
            Some(ids) => {
                let mut update = tx.prepare_cached(sql_one).map_err(db_err)?;
                for id in ids {
                    moved += update.execute(params![queue, now, id]).map_err(db_err)?;
                }
            }
        }
    }
    tx.commit().map_err(db_err)?;
    Ok(moved as u64)
}

/// Counts by state, in one read.
pub(super) fn depth(conn: &mut Connection, queue: &str) -> Result<QueueDepth> {
    let count = |value: i64| u64::try_from(value).map_err(|e| Error::internal("negative count", e));
    let (visible, in_flight, dead) = conn
        .query_row(
            // Three counts rather than one pass with FILTER: each reads a range of one of
            // the partial indexes instead of scanning every queue's rows.
            "SELECT (SELECT COUNT(*) FROM queue_messages
                     WHERE queue = ?1 AND dead_at IS NULL AND visible_at <= ?2),
                    (SELECT COUNT(*) FROM queue_messages
                     WHERE queue = ?1 AND dead_at IS NULL AND visible_at > ?2),
                    (SELECT COUNT(*) FROM queue_messages
                     WHERE queue = ?1 AND dead_at IS NOT NULL)",
            params![queue, now_ms()],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, i64>(2)?,
                ))
            },
        )
        .map_err(db_err)?;
    Ok(QueueDepth {
        visible: count(visible)?,
        in_flight: count(in_flight)?,
        dead: count(dead)?,
    })
}

/// Ends every delivery still in flight (their receipts stop working): the messages are
/// visible at once. Delayed retries (no receipt) keep their delay.
pub(super) fn make_in_flight_visible(conn: &mut Connection, queue: &str) -> Result<u64> {
    let changed = conn
        .execute(
            "UPDATE queue_messages SET visible_at = ?2, receipt = NULL
             WHERE queue = ?1 AND dead_at IS NULL AND receipt IS NOT NULL AND visible_at > ?2",
            params![queue, now_ms()],
        )
        .map_err(db_err)?;
    Ok(changed as u64)
}
