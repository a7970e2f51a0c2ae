//! Batched reads and writes: chunks of the API's maximum size sent in parallel, with the
//! unprocessed remainder retried with backoff (DynamoDB returns it under throttling instead
//! of failing the call).

use std::time::Duration;

use aws_sdk_dynamodb::types::{DeleteRequest, KeysAndAttributes, PutRequest, WriteRequest};
use futures::{StreamExt, TryStreamExt, stream};

use super::DynamoCatalog;
use super::errors::{build_error, sdk_error};
use super::items::Item;
use crate::error::{Error, Result};

/// BatchWriteItem takes at most 25 requests.
const WRITE_CHUNK: usize = 25;
/// BatchGetItem takes at most 100 keys.
const GET_CHUNK: usize = 100;
/// Requests in flight at once per batch operation.
const PARALLEL: usize = 8;
/// Attempts for an unprocessed remainder before giving up as transient.
const ATTEMPTS: u32 = 8;

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(25u64.saturating_mul(1 << attempt.min(6)))
}

/// A put request for `item`.
pub(super) fn put(item: Item) -> Result<WriteRequest> {
    Ok(WriteRequest::builder()
        .put_request(
            PutRequest::builder()
                .set_item(Some(item))
                .build()
                .map_err(build_error)?,
        )
        .build())
}

/// A delete request for `key`.
pub(super) fn delete(key: Item) -> Result<WriteRequest> {
    Ok(WriteRequest::builder()
        .delete_request(
            DeleteRequest::builder()
                .set_key(Some(key))
                .build()
                .map_err(build_error)?,
        )
        .build())
}

impl DynamoCatalog {
    /// Writes every request, 25 per call, `PARALLEL` calls at a time.
    pub(super) async fn batch_write(&self, table: &str, requests: Vec<WriteRequest>) -> Result<()> {
        let chunks: Vec<Vec<WriteRequest>> =
            requests.chunks(WRITE_CHUNK).map(<[_]>::to_vec).collect();
        stream::iter(chunks)
            .map(|chunk| self.write_chunk(table, chunk))
            .buffer_unordered(PARALLEL)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }

    async fn write_chunk(&self, table: &str, mut chunk: Vec<WriteRequest>) -> Result<()> {
        for attempt in 0..ATTEMPTS {
            let out = self
                .client
                .batch_write_item()
                .request_items(table, chunk)
                .send()
                .await
                .map_err(|e| sdk_error("BatchWriteItem", table, e))?;
            chunk = out
                .unprocessed_items
                .and_then(|mut left| left.remove(table))
                .unwrap_or_default();
            if chunk.is_empty() {
                return Ok(());
            }
            tokio::time::sleep(backoff(attempt)).await;
        }
        Err(Error::Transient {
            message: format!(
                "DynamoDB kept {} writes to {table} unprocessed",
                chunk.len()
            ),
            source: None,
        })
    }

    /// Reads the items at `keys` (those that exist).
    pub(super) async fn batch_get(&self, table: &str, keys: Vec<Item>) -> Result<Vec<Item>> {
        let chunks: Vec<Vec<Item>> = keys.chunks(GET_CHUNK).map(<[_]>::to_vec).collect();
        let found: Vec<Vec<Item>> = stream::iter(chunks)
            .map(|chunk| self.get_chunk(table, chunk))
            .buffer_unordered(PARALLEL)
            .try_collect()
            .await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn get_chunk(&self, table: &str, mut keys: Vec<Item>) -> Result<Vec<Item>> {
        let mut found = Vec::new();
        for attempt in 0..ATTEMPTS {
            let request = KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .build()
                .map_err(build_error)?;
            let out = self
                .client
                .batch_get_item()
                .request_items(table, request)
                .send()
                .await
                .map_err(|e| sdk_error("BatchGetItem", table, e))?;
            found.extend(
                out.responses
                    .and_then(|mut by_table| by_table.remove(table))
                    .unwrap_or_default(),
            );
            keys = out
                .unprocessed_keys
                .and_then(|mut left| left.remove(table))
                .map(|left| left.keys)
                .unwrap_or_default();
            if keys.is_empty() {
                return Ok(found);
            }
            tokio::time::sleep(backoff(attempt)).await;
        }
        Err(Error::Transient {
            message: format!("DynamoDB kept {} reads of {table} unprocessed", keys.len()),
            source: None,
        })
    }

    /// Deletes every item of one partition (`hash` = `value`) of a two-key table, a page of
    /// keys at a time.
    pub(super) async fn delete_partition(
        &self,
        table: &str,
        hash: &str,
        range: &str,
        value: &str,
    ) -> Result<()> {
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(table)
                .key_condition_expression("#h = :h")
                .expression_attribute_names("#h", hash)
                .expression_attribute_names("#r", range)
                .expression_attribute_values(":h", super::items::s(value))
                .projection_expression("#h, #r")
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| sdk_error("Query", table, e))?;
            let requests = out
                .items
                .unwrap_or_default()
                .into_iter()
                .map(delete)
                .collect::<Result<Vec<_>>>()?;
            self.batch_write(table, requests).await?;
            start = out.last_evaluated_key.filter(|k| !k.is_empty());
            if start.is_none() {
                return Ok(());
            }
        }
    }
}
