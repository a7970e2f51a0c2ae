//! Carrying an event's expiry to its child rows (photos, access codes, jobs), whose
//! `ttl_epoch` is their event's so that DynamoDB's TTL removes them with it.
//!
//! DynamoDB cannot update many items at once, so `update_event` writes the event row first
//! and then the children: each child table's partition is read a page of keys at a time
//! (only live rows whose TTL differs) and every row is rewritten with `UpdateItem`,
//! [`PARALLEL`] at a time per table, while the next page is read. Each write requires the row to still exist and be live,
//! so a row deleted (or expired) meanwhile is neither brought back as a fragment nor revived.
//! Versions are left alone: child updates keep the stored expiry instead of their copy's
//! (`put_versioned`), so an edit racing the cascade neither undoes it nor conflicts.
//!
//! An expiry already past (an event ended by a PATCH, or by the delete route, which ends the
//! event before removing its objects) ends the children by deleting them, 25 to a
//! `BatchWriteItem`: an ended row is gone either way, and rewriting every row of a 20,000-photo
//! event one `UpdateItem` at a time only for `delete_event` to remove it next would double
//! the writes of a delete.
//!
//! The event row records in `children_ttl_epoch` the expiry its children were last all
//! brought to. The cascade runs whenever that differs from the row's `ttl_epoch`, and records
//! its value only once done and only if the event still has that expiry. So:
//! - a cascade that fails half-way (throttling, a timeout, a crash) is finished by the next
//!   `update_event` of that event, whatever that one changes: repeating the PATCH does it;
//! - of two updates racing with different expiries, the one finishing last re-reads the
//!   event and carries the expiry that won;
//! - an event written before the marker existed is brought in line at its next update.

use aws_sdk_dynamodb::types::AttributeValue;
use futures::{StreamExt, TryStreamExt, stream};

use super::DynamoCatalog;
use super::errors::sdk_error;
use super::items::{EXPIRES_AT, Item, event_pk, get_n, key1, n, s, to_attribute};
use super::ops::through_transactions;
use super::schema::attr;
use crate::domain::{EventId, Timestamp};
use crate::error::{Error, Result};

/// Keys read per Query (the next page is read while this one is written).
const PAGE: i32 = 100;
/// `UpdateItem` calls in flight per child table.
const PARALLEL: usize = 32;
/// Cascades in a row before giving up on an event whose expiry keeps changing.
const ROUNDS: usize = 3;

impl DynamoCatalog {
    /// Brings every live child row of the event to the event's expiry, unless the event row
    /// (`event`, as stored after the update) says they already are.
    pub(super) async fn settle_children_expiry(
        &self,
        event_id: EventId,
        mut event: Item,
    ) -> Result<()> {
        let table = &self.tables.events;
        let pk = event_pk(event_id);
        for _ in 0..ROUNDS {
            let ttl = event_ttl(&event, table, &pk)?;
            if get_n(&event, attr::CHILDREN_TTL) == Some(ttl) {
                return Ok(());
            }
            self.set_children_expiry(event_id, ttl).await?;
            let mark = self
                .client
                .update_item()
                .table_name(table)
                .set_key(Some(key1(attr::PK, pk.clone())))
                .update_expression("SET #children = :ttl")
                .condition_expression("#ttl = :ttl")
                .expression_attribute_names("#children", attr::CHILDREN_TTL)
                .expression_attribute_names("#ttl", attr::TTL)
                .expression_attribute_values(":ttl", n(ttl));
            let marked = through_transactions(|| mark.clone().send())
                .await
                .map_err(|e| sdk_error("UpdateItem", table, e));
            match marked {
                Ok(_) => return Ok(()),
                // The expiry moved while this ran (or the event is gone): carry the new one.
                Err(err) if err.is_conflict() => {
                    match self.get_item(table, key1(attr::PK, pk.clone())).await? {
                        Some(current) => event = current,
                        None => return Ok(()),
                    }
                }
                Err(err) => return Err(err),
            }
        }
        Err(Error::Transient {
            message: format!(
                "the expiry of event {event_id} kept changing while it was carried to its rows"
            ),
            source: None,
        })
    }

    /// After new child rows were written with the expiries `written` (from the writer's copy
    /// of the event): if the event's expiry is another now, it changed after the writer read
    /// it, and the cascade that carried the change may have listed the children before these
    /// existed. So the event's live children are brought to its current expiry, re-reading
    /// the event until it holds still ([`crate::ports::child_expiry`]). Costs one consistent
    /// read when nothing raced.
    pub(super) async fn align_new_children(
        &self,
        event_id: EventId,
        written: &[i64],
    ) -> Result<()> {
        let table = &self.tables.events;
        let pk = event_pk(event_id);
        let now = Timestamp::now().epoch_secs();
        let mut carried: Option<i64> = None;
        for _ in 0..ROUNDS {
            let Some(event) = self.get_item(table, key1(attr::PK, pk.clone())).await? else {
                // Deleted meanwhile: its children go with it.
                return Ok(());
            };
            let ttl = event_ttl(&event, table, &pk)?;
            let settled = match carried {
                Some(carried) => carried == ttl,
                None => written.iter().all(|&w| w == ttl || w <= now),
            };
            if settled {
                return Ok(());
            }
            self.set_children_expiry(event_id, ttl).await?;
            carried = Some(ttl);
        }
        Err(Error::Transient {
            message: format!(
                "the expiry of event {event_id} kept changing while new rows were written"
            ),
            source: None,
        })
    }

    /// Sets `ttl` (and the matching `expires_at`) on every live child row of the event; an
    /// expiry already past deletes them instead (see the module comment).
    async fn set_children_expiry(&self, event_id: EventId, ttl: i64) -> Result<()> {
        let id = event_id.to_string();
        let tables = &self.tables;
        if Timestamp::from_epoch_secs(ttl).has_passed(Timestamp::now()) {
            futures::try_join!(
                self.delete_partition(&tables.photos, attr::EVENT_ID, attr::PHOTO_ID, &id),
                self.delete_partition(&tables.access_codes, attr::EVENT_ID, attr::CODE_KEY, &id),
                self.delete_partition(&tables.jobs, attr::EVENT_ID, attr::JOB_ID, &id),
            )?;
            return Ok(());
        }
        let expires = to_attribute(&Timestamp::from_epoch_secs(ttl))?;
        futures::try_join!(
            self.set_partition_expiry(&tables.photos, attr::PHOTO_ID, &id, ttl, &expires),
            self.set_partition_expiry(&tables.access_codes, attr::CODE_KEY, &id, ttl, &expires),
            self.set_partition_expiry(&tables.jobs, attr::JOB_ID, &id, ttl, &expires),
        )?;
        Ok(())
    }

    /// One child table: a page of keys of its live rows whose TTL differs at a time, each
    /// row rewritten; the next page is read while the current one is written.
    async fn set_partition_expiry(
        &self,
        table: &str,
        range: &str,
        event_id: &str,
        ttl: i64,
        expires: &AttributeValue,
    ) -> Result<()> {
        let now = Timestamp::now().epoch_secs();
        let read = |start| self.stale_child_keys(table, range, event_id, ttl, now, start);
        let (mut keys, mut next) = read(None).await?;
        loop {
            let writes = stream::iter(keys)
                .map(|key| self.set_row_expiry(table, key, ttl, expires, now))
                .buffer_unordered(PARALLEL)
                .try_collect::<()>();
            let Some(start) = next else {
                return writes.await;
            };
            let (written, page) = futures::join!(writes, read(Some(start)));
            written?;
            (keys, next) = page?;
        }
    }

    /// One page of keys of the event's live rows in `table` whose TTL is not `ttl`, and where
    /// the next page starts.
    async fn stale_child_keys(
        &self,
        table: &str,
        range: &str,
        event_id: &str,
        ttl: i64,
        now: i64,
        start: Option<Item>,
    ) -> Result<(Vec<Item>, Option<Item>)> {
        let out = self
            .client
            .query()
            .table_name(table)
            .key_condition_expression("#e = :e")
            .filter_expression("#ttl > :now AND #ttl <> :ttl")
            .projection_expression("#e, #r")
            .expression_attribute_names("#e", attr::EVENT_ID)
            .expression_attribute_names("#r", range)
            .expression_attribute_names("#ttl", attr::TTL)
            .expression_attribute_values(":e", s(event_id))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":ttl", n(ttl))
            .consistent_read(true)
            .limit(PAGE)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| sdk_error("Query", table, e))?;
        Ok((
            out.items.unwrap_or_default(),
            out.last_evaluated_key.filter(|k| !k.is_empty()),
        ))
    }

    async fn set_row_expiry(
        &self,
        table: &str,
        key: Item,
        ttl: i64,
        expires: &AttributeValue,
        now: i64,
    ) -> Result<()> {
        let request = self
            .client
            .update_item()
            .table_name(table)
            .set_key(Some(key))
            .update_expression("SET #exp = :exp, #ttl = :ttl")
            .condition_expression("attribute_exists(#e) AND #ttl > :now")
            .expression_attribute_names("#e", attr::EVENT_ID)
            .expression_attribute_names("#exp", EXPIRES_AT)
            .expression_attribute_names("#ttl", attr::TTL)
            .expression_attribute_values(":exp", expires.clone())
            .expression_attribute_values(":ttl", n(ttl))
            .expression_attribute_values(":now", n(now));
        // A photo being deleted is held by `delete_photo`'s transaction for a moment; that
        // refusal is retried (and maps to `Transient`), never taken for "gone".
        let result = through_transactions(|| request.clone().send())
            .await
            .map_err(|e| sdk_error("UpdateItem", table, e));
        match result {
            Ok(_) => Ok(()),
            // Deleted or expired since it was listed: it is gone and stays gone.
            Err(err) if err.is_conflict() => Ok(()),
            Err(err) => Err(err),
        }
    }
}

/// The TTL (the expiry, in epoch seconds) of the event item stored at `pk` in `table`.
fn event_ttl(event: &Item, table: &str, pk: &str) -> Result<i64> {
    get_n(event, attr::TTL).ok_or_else(|| {
        Error::internal_msg(format!(
            "malformed item in {table} at key {pk}: no {}",
            attr::TTL
        ))
    })
}
