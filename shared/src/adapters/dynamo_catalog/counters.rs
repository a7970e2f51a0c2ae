//! Windowed counters (unlock attempts and the like).

use aws_sdk_dynamodb::types::ReturnValue;

use super::DynamoCatalog;
use super::errors::sdk_error;
use super::items::{Item, get_n, key1, n, s, ttl_passed};
use super::schema::attr;
use crate::domain::Timestamp;
use crate::error::{Error, Result};
use crate::ports::Counter;

/// Rounds of "add to the live window" / "start a new window" before giving up; each round
/// is lost only to a concurrent writer that succeeded.
const ROUNDS: usize = 8;

impl DynamoCatalog {
    pub(super) async fn increment(&self, key: &str, window_ends: Timestamp) -> Result<Counter> {
        let table = &self.tables.counters;
        for _ in 0..ROUNDS {
            let now = n(Timestamp::now().epoch_secs());
            // The common case: the window is live, add one to it.
            let added = self
                .client
                .update_item()
                .table_name(table)
                .set_key(Some(key1(attr::PK, key)))
                .update_expression("ADD #count :one")
                .condition_expression("attribute_exists(#pk) AND #ttl > :now")
                .expression_attribute_names("#pk", attr::PK)
                .expression_attribute_names("#count", "count")
                .expression_attribute_names("#ttl", attr::TTL)
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":now", now.clone())
                .return_values(ReturnValue::AllNew)
                .send()
                .await
                .map_err(|e| sdk_error("UpdateItem", table, e));
            match added {
                Ok(out) => return counter_from(table, key, out.attributes.unwrap_or_default()),
                Err(err) if !err.is_conflict() => return Err(err),
                Err(_) => {}
            }
            // Absent or expired: start a new window, unless a concurrent writer just did.
            let started = self
                .client
                .put_item()
                .table_name(table)
                .item(attr::PK, s(key))
                .item("count", n(1))
                .item(attr::TTL, n(window_ends.epoch_secs()))
                .condition_expression("attribute_not_exists(#pk) OR #ttl <= :now")
                .expression_attribute_names("#pk", attr::PK)
                .expression_attribute_names("#ttl", attr::TTL)
                .expression_attribute_values(":now", now)
                .send()
                .await
                .map_err(|e| sdk_error("PutItem", table, e));
            match started {
                Ok(_) => {
                    return Ok(Counter {
                        count: 1,
                        expires_at: window_ends,
                    });
                }
                Err(err) if !err.is_conflict() => return Err(err),
                Err(_) => {}
            }
        }
        Err(Error::Transient {
            message: format!("counter {key} in {table} kept changing under contention"),
            source: None,
        })
    }

    pub(super) async fn read_counter(&self, key: &str) -> Result<u64> {
        let table = &self.tables.counters;
        match self.get_item(table, key1(attr::PK, key)).await? {
            Some(item) if !ttl_passed(&item, Timestamp::now()) => {
                Ok(counter_from(table, key, item)?.count)
            }
            _ => Ok(0),
        }
    }
}

fn counter_from(table: &str, key: &str, item: Item) -> Result<Counter> {
    let count = get_n(&item, "count").and_then(|c| u64::try_from(c).ok());
    let ends = get_n(&item, attr::TTL);
    match (count, ends) {
        (Some(count), Some(ends)) => Ok(Counter {
            count,
            expires_at: Timestamp::from_epoch_secs(ends),
        }),
        _ => Err(Error::internal_msg(format!(
            "malformed item in {table} at key {key}: count or window end missing"
        ))),
    }
}
