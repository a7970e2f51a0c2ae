//! Single-item operations shared by the row kinds: reads, create-if-absent and versioned
//! replace.

use std::future::Future;
use std::time::Duration;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;

use super::DynamoCatalog;
use super::errors::{is_transaction_conflict, sdk_error};
use super::items::{EXPIRES_AT, Item, get_n, n, ttl_passed};
use super::schema::attr;
use crate::domain::Timestamp;
use crate::error::{Error, Result};

/// Puts of one versioned row repeated because its expiry changed under it.
const EXPIRY_RETRIES: usize = 3;
/// Sends of a single-item write refused because a transaction held the item.
const TRANSACTION_CONFLICT_ATTEMPTS: u32 = 4;

/// Sends a single-item write (`send` makes and sends it) again, after a short pause, while
/// DynamoDB refuses it because a transaction holds the item: `delete_photo` runs one over
/// a photo and its event, which uploads count on and processors and expiry changes rewrite
/// at the same time. Transactions finish in milliseconds, so a few tries suffice; after
/// them the refusal maps to `Transient`.
pub(super) async fn through_transactions<T, E, F, Fut>(
    mut send: F,
) -> std::result::Result<T, SdkError<E, HttpResponse>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<T, SdkError<E, HttpResponse>>>,
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    let mut attempt = 0;
    loop {
        match send().await {
            Err(err)
                if is_transaction_conflict(&err) && attempt + 1 < TRANSACTION_CONFLICT_ATTEMPTS =>
            {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(10u64 << attempt)).await;
            }
            other => return other,
        }
    }
}

impl DynamoCatalog {
    /// The item at `key` (strongly consistent), if any, expired or not.
    pub(super) async fn get_item(&self, table: &str, key: Item) -> Result<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("GetItem", table, e))?;
        Ok(out.item)
    }

    /// Writes `item` unless a live item has its key (an expired one is gone and may be
    /// replaced). `hash` is the table's partition key attribute. A live one is `taken`.
    pub(super) async fn put_new(
        &self,
        table: &str,
        item: Item,
        hash: &str,
        taken: impl FnOnce() -> Error,
    ) -> Result<()> {
        let result = self
            .client
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#h) OR #ttl <= :now")
            .expression_attribute_names("#h", hash)
            .expression_attribute_names("#ttl", attr::TTL)
            .expression_attribute_values(":now", n(Timestamp::now().epoch_secs()))
            .send()
            .await;
        match result.map_err(|e| sdk_error("PutItem", table, e)) {
            Err(err) if err.is_conflict() => Err(taken()),
            other => other.map(|_| ()),
        }
    }

    /// Replaces the live item at `key` with `item` if its `version` is still `version`, and
    /// returns what was written. A missing or expired item is `gone`; another version is
    /// `Conflict`.
    ///
    /// `item` is a child row (photo, code, job), whose expiry is its event's: `update_event`
    /// carries a new one to every child without touching versions. So the put is also
    /// conditional on the stored TTL, and when only that differs it is repeated with the
    /// stored `expires_at` and `ttl_epoch`: a copy read before such a change neither undoes
    /// it nor conflicts.
    pub(super) async fn put_versioned(
        &self,
        table: &str,
        mut item: Item,
        key: Item,
        version: u64,
        gone: impl FnOnce() -> Error,
    ) -> Result<Item> {
        let now = Timestamp::now();
        let hash = key.keys().next().cloned().unwrap_or_default();
        for _ in 0..EXPIRY_RETRIES {
            let ttl = item.get(attr::TTL).cloned().ok_or_else(|| {
                Error::internal_msg(format!("a row for {table} has no {}", attr::TTL))
            })?;
            let request = self
                .client
                .put_item()
                .table_name(table)
                .set_item(Some(item.clone()))
                .condition_expression(
                    "attribute_exists(#h) AND #v = :v AND #ttl > :now AND #ttl = :ttl",
                )
                .expression_attribute_names("#h", hash.clone())
                .expression_attribute_names("#v", "version")
                .expression_attribute_names("#ttl", attr::TTL)
                .expression_attribute_values(":v", n(version))
                .expression_attribute_values(":now", n(now.epoch_secs()))
                .expression_attribute_values(":ttl", ttl);
            let result = through_transactions(|| request.clone().send()).await;
            let current = match result.map_err(|e| sdk_error("PutItem", table, e)) {
                Ok(_) => return Ok(item),
                Err(err) if err.is_conflict() => match self.get_item(table, key.clone()).await? {
                    Some(current) if !ttl_passed(&current, now) => current,
                    _ => return Err(gone()),
                },
                Err(err) => return Err(err),
            };
            let stored_version = get_n(&current, "version").and_then(|v| u64::try_from(v).ok());
            if stored_version != Some(version) {
                return Err(Error::conflict(
                    "version_conflict",
                    "the item was changed by someone else; reload and try again",
                ));
            }
            // Same version, another expiry: the event's expiry changed since the caller read
            // the row. Keep the stored one.
            for name in [EXPIRES_AT, attr::TTL] {
                let value = current.get(name).cloned().ok_or_else(|| {
                    Error::internal_msg(format!("a row in {table} has no {name}"))
                })?;
                item.insert(name.to_owned(), value);
            }
        }
        Err(Error::Transient {
            message: format!("the expiry of a row in {table} kept changing; retry"),
            source: None,
        })
    }
}
