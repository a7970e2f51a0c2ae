//! Single-item operations shared by the row kinds: reads, create-if-absent and versioned
//! replace.

use super::DynamoCatalog;
use super::errors::sdk_error;
use super::items::{Item, n, ttl_passed};
use super::schema::attr;
use crate::domain::Timestamp;
use crate::error::{Error, Result};

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

    /// Replaces the live item at `key` with `item` if its `version` is still `version`.
    /// A missing or expired item is `gone`; another version is `Conflict`.
    pub(super) async fn put_versioned(
        &self,
        table: &str,
        item: Item,
        key: Item,
        version: u64,
        gone: impl FnOnce() -> Error,
    ) -> Result<()> {
        let now = Timestamp::now();
        let hash = key.keys().next().cloned().unwrap_or_default();
        let result = self
            .client
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression("attribute_exists(#h) AND #v = :v AND #ttl > :now")
            .expression_attribute_names("#h", hash)
            .expression_attribute_names("#v", "version")
            .expression_attribute_names("#ttl", attr::TTL)
            .expression_attribute_values(":v", n(version))
            .expression_attribute_values(":now", n(now.epoch_secs()))
            .send()
            .await;
        match result.map_err(|e| sdk_error("PutItem", table, e)) {
            Ok(_) => Ok(()),
            Err(err) if err.is_conflict() => match self.get_item(table, key).await? {
                Some(current) if !ttl_passed(&current, now) => Err(Error::conflict(
                    "version_conflict",
                    "the item was changed by someone else; reload and try again",
                )),
                _ => Err(gone()),
            },
            Err(err) => Err(err),
        }
    }
}
