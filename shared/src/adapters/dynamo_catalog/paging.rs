//! Full pages over Query and Scan.
//!
//! DynamoDB's `Limit` counts items *read*, before the filter, so a filtered query can return
//! short or empty pages with more to come. Callers want exactly `limit` items whenever that
//! many remain, so this loops with `ExclusiveStartKey` until the page is full, reading one
//! item past it to know whether a next page exists (so the last page has no cursor).
//! The cursor is the key of the last item *returned* (not DynamoDB's `LastEvaluatedKey`,
//! which may lie beyond it), which is a valid `ExclusiveStartKey` because it names every
//! table and index key attribute.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;

use super::DynamoCatalog;
use super::errors::sdk_error;
use super::items::{Item, s};
use crate::domain::{Cursor, PageRequest};
use crate::error::{Error, Result};

/// Upper bound on items read per request when a filter may discard many.
const MAX_READ_PER_REQUEST: i32 = 1000;

/// Where the items come from.
#[derive(Debug)]
pub(super) enum Source {
    /// A Query of the table or one of its indexes.
    Query {
        index: Option<&'static str>,
        key_condition: &'static str,
        forward: bool,
    },
    /// A Scan of the whole table.
    Scan,
}

/// One list: where to read, how to filter, and what the cursor carries.
#[derive(Debug)]
pub(super) struct ListSpec<'a> {
    pub table: &'a str,
    pub source: Source,
    pub filter: Option<String>,
    pub names: HashMap<String, String>,
    pub values: HashMap<String, AttributeValue>,
    /// Table and index key attributes (all strings): what the cursor carries.
    pub key_attrs: &'static [&'static str],
    /// The partition key value every cursor of this list must carry, if any.
    pub fixed: Option<(&'static str, String)>,
    /// The list's identity, so a cursor of another list is refused.
    pub scope: String,
}

/// The key attributes of one item, as the cursor carries them.
type CursorKey = BTreeMap<String, String>;

impl DynamoCatalog {
    /// Reads one full page of `spec` (raw items, in order) and the cursor of the next.
    pub(super) async fn list_page(
        &self,
        spec: ListSpec<'_>,
        page: &PageRequest,
    ) -> Result<(Vec<Item>, Option<Cursor>)> {
        let limit = usize::try_from(page.limit.max(1)).unwrap_or(usize::MAX);
        let mut start = match &page.cursor {
            Some(cursor) => Some(start_key(&spec, cursor)?),
            None => None,
        };
        let mut items: Vec<Item> = Vec::new();
        loop {
            let want = limit.saturating_add(1).saturating_sub(items.len());
            let read = if spec.filter.is_some() {
                i32::try_from(want.saturating_mul(2))
                    .unwrap_or(MAX_READ_PER_REQUEST)
                    .clamp(25, MAX_READ_PER_REQUEST)
            } else {
                i32::try_from(want)
                    .unwrap_or(MAX_READ_PER_REQUEST)
                    .min(MAX_READ_PER_REQUEST)
            };
            let (batch, last) = self.read_once(&spec, start.take(), read).await?;
            items.extend(batch);
            if items.len() > limit || last.is_none() {
                break;
            }
            start = last;
        }
        let next = if items.len() > limit {
            items.truncate(limit);
            match items.last() {
                Some(last) => Some(Cursor::encode(&spec.scope, &cursor_key(&spec, last)?)?),
                None => None,
            }
        } else {
            None
        };
        Ok((items, next))
    }

    async fn read_once(
        &self,
        spec: &ListSpec<'_>,
        start: Option<Item>,
        read: i32,
    ) -> Result<(Vec<Item>, Option<Item>)> {
        let names = (!spec.names.is_empty()).then(|| spec.names.clone());
        let values = (!spec.values.is_empty()).then(|| spec.values.clone());
        match &spec.source {
            Source::Query {
                index,
                key_condition,
                forward,
            } => {
                let out = self
                    .client
                    .query()
                    .table_name(spec.table)
                    .set_index_name(index.map(str::to_owned))
                    .key_condition_expression(*key_condition)
                    .set_filter_expression(spec.filter.clone())
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .scan_index_forward(*forward)
                    .consistent_read(index.is_none_or(|name| !is_global(name)))
                    .set_exclusive_start_key(start)
                    .limit(read)
                    .send()
                    .await
                    .map_err(|e| sdk_error("Query", spec.table, e))?;
                Ok((
                    out.items.unwrap_or_default(),
                    out.last_evaluated_key.filter(|k| !k.is_empty()),
                ))
            }
            Source::Scan => {
                let out = self
                    .client
                    .scan()
                    .table_name(spec.table)
                    .set_filter_expression(spec.filter.clone())
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .consistent_read(true)
                    .set_exclusive_start_key(start)
                    .limit(read)
                    .send()
                    .await
                    .map_err(|e| sdk_error("Scan", spec.table, e))?;
                Ok((
                    out.items.unwrap_or_default(),
                    out.last_evaluated_key.filter(|k| !k.is_empty()),
                ))
            }
        }
    }
}

/// Global indexes cannot be read consistently.
fn is_global(index: &str) -> bool {
    index == super::schema::BY_OWNER.name
}

fn cursor_key(spec: &ListSpec<'_>, item: &Item) -> Result<CursorKey> {
    spec.key_attrs
        .iter()
        .map(|name| {
            super::items::get_s(item, name)
                .map(|value| ((*name).to_owned(), value.to_owned()))
                .ok_or_else(|| {
                    Error::internal_msg(format!(
                        "item in {} has no string key attribute {name}",
                        spec.table
                    ))
                })
        })
        .collect()
}

/// The `ExclusiveStartKey` a client's cursor stands for. A cursor is not signed, so its
/// shape is checked here: a forged one must be a 400, never a DynamoDB validation error.
fn start_key(spec: &ListSpec<'_>, cursor: &Cursor) -> Result<Item> {
    let bad = || Error::malformed("invalid_cursor", "the cursor is not valid for this list");
    let key: CursorKey = cursor.decode(&spec.scope)?;
    if key.len() != spec.key_attrs.len()
        || spec.key_attrs.iter().any(|name| !key.contains_key(*name))
        || key
            .values()
            .any(|value| value.is_empty() || value.len() > 1024)
    {
        return Err(bad());
    }
    if let Some((name, value)) = &spec.fixed
        && key.get(*name) != Some(value)
    {
        return Err(bad());
    }
    Ok(key
        .into_iter()
        .map(|(name, value)| (name, s(value)))
        .collect())
}
