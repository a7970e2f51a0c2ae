//! Photos: batched registration, reads, listings in two orders, digest lookups.

use std::collections::{BTreeMap, HashMap, HashSet};

use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem, Update};
use futures::{StreamExt, TryStreamExt, stream};

use super::DynamoCatalog;
use super::batch::put;
use super::errors::{TransactFailure, build_error, sdk_error, transact_error};
use super::items::{Item, event_pk, from_item, get_s, key2, n, photo_item, s, ttl_passed};
use super::paging::{ListSpec, Source};
use super::schema::{BY_SHA256, BY_TAKEN, attr};
use crate::domain::{EventId, Page, PageRequest, Photo, PhotoId, Timestamp};
use crate::error::{Error, Result};
use crate::ports::catalog::in_requested_order;
use crate::ports::{PhotoQuery, PhotoSort};

/// Condition of a photo delete: the row is there and live.
const LIVE: &str = "attribute_exists(#e) AND #ttl > :now";
/// Sends of a photo delete cancelled by a concurrent transaction.
const DELETE_ATTEMPTS: u32 = 4;

fn photo_not_found() -> Error {
    Error::not_found("photo_not_found", "no such photo")
}

fn photo_exists() -> Error {
    Error::conflict("photo_exists", "a photo with that id already exists")
}

fn photo_key(event_id: EventId, photo_id: PhotoId) -> Item {
    key2(
        attr::EVENT_ID,
        event_id.to_string(),
        attr::PHOTO_ID,
        photo_id.to_string(),
    )
}

impl DynamoCatalog {
    fn photo_from(&self, item: Item) -> Result<Photo> {
        let key = format!(
            "{}/{}",
            get_s(&item, attr::EVENT_ID).unwrap_or("?"),
            get_s(&item, attr::PHOTO_ID).unwrap_or("?")
        );
        from_item(item, &self.tables.photos, &key)
    }

    pub(super) async fn insert_photo_rows(&self, photos: &[Photo]) -> Result<()> {
        if photos.is_empty() {
            return Ok(());
        }
        let table = &self.tables.photos;
        let mut seen = HashSet::with_capacity(photos.len());
        if !photos.iter().all(|p| seen.insert((p.event_id, p.photo_id))) {
            return Err(photo_exists());
        }
        // BatchWriteItem cannot carry conditions, so existence is checked first. A writer
        // registering one of these ids between this read and the write below would be
        // overwritten; ids are fresh server-made ULIDs, so only a caller bug could race.
        let keys = photos
            .iter()
            .map(|p| photo_key(p.event_id, p.photo_id))
            .collect();
        let now = Timestamp::now();
        let existing = self.batch_get(table, keys).await?;
        if existing.iter().any(|item| !ttl_passed(item, now)) {
            return Err(photo_exists());
        }
        let requests = photos
            .iter()
            .map(|p| photo_item(p).and_then(put))
            .collect::<Result<Vec<_>>>()?;
        self.batch_write(table, requests).await?;
        let mut written: BTreeMap<EventId, Vec<i64>> = BTreeMap::new();
        for photo in photos {
            written
                .entry(photo.event_id)
                .or_default()
                .push(photo.expires_at.epoch_secs());
        }
        for (event_id, expiries) in written {
            self.align_new_children(event_id, &expiries).await?;
        }
        Ok(())
    }

    pub(super) async fn get_photo_row(
        &self,
        event_id: EventId,
        photo_id: PhotoId,
    ) -> Result<Photo> {
        match self
            .get_item(&self.tables.photos, photo_key(event_id, photo_id))
            .await?
        {
            Some(item) if !ttl_passed(&item, Timestamp::now()) => self.photo_from(item),
            _ => Err(photo_not_found()),
        }
    }

    pub(super) async fn find_photos_by_digest(
        &self,
        event_id: EventId,
        sha256: &[String],
    ) -> Result<Vec<Photo>> {
        // An empty digest is not a valid index key (DynamoDB would refuse the query) and
        // names no photo.
        let digests: Vec<String> = sha256
            .iter()
            .filter(|digest| !digest.is_empty())
            .collect::<HashSet<_>>()
            .into_iter()
            .cloned()
            .collect();
        let now = Timestamp::now();
        let found: Vec<Vec<Item>> = stream::iter(digests)
            .map(|digest| self.photos_with_digest(event_id, digest, now))
            .buffer_unordered(8)
            .try_collect()
            .await?;
        let mut photos = found
            .into_iter()
            .flatten()
            .map(|item| self.photo_from(item))
            .collect::<Result<Vec<_>>>()?;
        photos.sort_by_key(|p| p.photo_id);
        Ok(photos)
    }

    async fn photos_with_digest(
        &self,
        event_id: EventId,
        digest: String,
        now: Timestamp,
    ) -> Result<Vec<Item>> {
        let table = &self.tables.photos;
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(table)
                .index_name(BY_SHA256.name)
                .key_condition_expression("#e = :e AND #h = :h")
                .filter_expression("#ttl > :now")
                .expression_attribute_names("#e", attr::EVENT_ID)
                .expression_attribute_names("#h", attr::SHA256)
                .expression_attribute_names("#ttl", attr::TTL)
                .expression_attribute_values(":e", s(event_id.to_string()))
                .expression_attribute_values(":h", s(digest.as_str()))
                .expression_attribute_values(":now", n(now.epoch_secs()))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| sdk_error("Query", table, e))?;
            items.extend(out.items.unwrap_or_default());
            start = out.last_evaluated_key.filter(|k| !k.is_empty());
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    pub(super) async fn list_photo_rows(
        &self,
        event_id: EventId,
        query: &PhotoQuery,
        page: &PageRequest,
    ) -> Result<Page<Photo>> {
        let mut filter = "#ttl > :now".to_owned();
        let mut names = HashMap::from([
            ("#e".to_owned(), attr::EVENT_ID.to_owned()),
            ("#ttl".to_owned(), attr::TTL.to_owned()),
        ]);
        let mut values = HashMap::from([
            (":e".to_owned(), s(event_id.to_string())),
            (":now".to_owned(), n(Timestamp::now().epoch_secs())),
        ]);
        if let Some(status) = query.status {
            filter.push_str(" AND #status = :status");
            names.insert("#status".to_owned(), "status".to_owned());
            values.insert(":status".to_owned(), s(status.as_str()));
        }
        let (index, key_attrs, order): (_, &'static [&'static str], _) = match query.sort {
            PhotoSort::Uploaded => (None, &[attr::EVENT_ID, attr::PHOTO_ID], "uploaded"),
            PhotoSort::Taken => (
                Some(BY_TAKEN.name),
                &[attr::EVENT_ID, attr::PHOTO_ID, attr::TAKEN_SORT],
                "taken",
            ),
        };
        let spec = ListSpec {
            table: &self.tables.photos,
            source: Source::Query {
                index,
                key_condition: "#e = :e",
                forward: true,
            },
            filter: Some(filter),
            names,
            values,
            key_attrs,
            fixed: Some((attr::EVENT_ID, event_id.to_string())),
            scope: format!(
                "photos/{event_id}/{order}/{}",
                query.status.map_or("any", |status| status.as_str())
            ),
        };
        let (items, next) = self.list_page(spec, page).await?;
        let items = items
            .into_iter()
            .map(|item| self.photo_from(item))
            .collect::<Result<Vec<_>>>()?;
        Ok(Page { items, next })
    }

    pub(super) async fn update_photo_row(&self, photo: &Photo) -> Result<Photo> {
        let mut next = photo.clone();
        next.version = photo.version.saturating_add(1);
        let stored = self
            .put_versioned(
                &self.tables.photos,
                photo_item(&next)?,
                photo_key(photo.event_id, photo.photo_id),
                photo.version,
                photo_not_found,
            )
            .await?;
        self.photo_from(stored)
    }

    pub(super) async fn get_photo_rows(
        &self,
        event_id: EventId,
        photo_ids: &[PhotoId],
    ) -> Result<Vec<Photo>> {
        // BatchGetItem refuses a request naming one key twice.
        let mut seen = HashSet::with_capacity(photo_ids.len());
        let keys = photo_ids
            .iter()
            .filter(|id| seen.insert(**id))
            .map(|id| photo_key(event_id, *id))
            .collect();
        let now = Timestamp::now();
        let found = self
            .batch_get(&self.tables.photos, keys)
            .await?
            .into_iter()
            .filter(|item| !ttl_passed(item, now))
            .map(|item| self.photo_from(item))
            .collect::<Result<Vec<_>>>()?;
        Ok(in_requested_order(photo_ids, found))
    }

    /// Deletes the live photo row and takes one off its event's `photo_count` in one
    /// `TransactWriteItems`, so of racing deletes only the one that removed the row counts.
    pub(super) async fn delete_photo_row(
        &self,
        event_id: EventId,
        photo_id: PhotoId,
    ) -> Result<bool> {
        let photos = &self.tables.photos;
        let now = n(Timestamp::now().epoch_secs());
        let row = TransactWriteItem::builder()
            .delete(
                Delete::builder()
                    .table_name(photos)
                    .set_key(Some(photo_key(event_id, photo_id)))
                    .condition_expression(LIVE)
                    .expression_attribute_names("#e", attr::EVENT_ID)
                    .expression_attribute_names("#ttl", attr::TTL)
                    .expression_attribute_values(":now", now.clone())
                    .build()
                    .map_err(build_error)?,
            )
            .build();
        let count = TransactWriteItem::builder()
            .update(
                Update::builder()
                    .table_name(&self.tables.events)
                    .key(attr::PK, s(event_pk(event_id)))
                    .update_expression("ADD photo_count :minus_one")
                    .condition_expression("attribute_exists(#pk) AND photo_count > :zero")
                    .expression_attribute_names("#pk", attr::PK)
                    .expression_attribute_values(":minus_one", n(-1))
                    .expression_attribute_values(":zero", n(0))
                    .build()
                    .map_err(build_error)?,
            )
            .build();
        let request = self
            .client
            .transact_write_items()
            .transact_items(row)
            .transact_items(count);
        let mut attempt = 0;
        loop {
            match request
                .clone()
                .send()
                .await
                .map_err(|e| transact_error(photos, e))
            {
                Ok(_) => return Ok(true),
                // The photo is absent or expired: already gone, nothing to give back.
                Err(TransactFailure::Conditions(failed)) if failed.contains(&0) => {
                    return Ok(false);
                }
                // Only the counter's condition failed (no event row, or a count already at
                // zero): the photo still goes, the counter stays.
                Err(TransactFailure::Conditions(_)) => {
                    return self.delete_live_photo(event_id, photo_id, now).await;
                }
                // Another transaction held one of the items (racing deletes of this photo):
                // try again; the next attempt sees the outcome.
                Err(TransactFailure::Other(err @ Error::Transient { .. }))
                    if attempt + 1 < DELETE_ATTEMPTS =>
                {
                    attempt += 1;
                    tracing::debug!(%event_id, %photo_id, attempt, error = %err, "photo delete retried");
                    tokio::time::sleep(Duration::from_millis(20u64 << attempt)).await;
                }
                Err(TransactFailure::Other(err)) => return Err(err),
            }
        }
    }

    /// Deletes the live photo row alone; whether it was there.
    async fn delete_live_photo(
        &self,
        event_id: EventId,
        photo_id: PhotoId,
        now: AttributeValue,
    ) -> Result<bool> {
        let photos = &self.tables.photos;
        let result = self
            .client
            .delete_item()
            .table_name(photos)
            .set_key(Some(photo_key(event_id, photo_id)))
            .condition_expression(LIVE)
            .expression_attribute_names("#e", attr::EVENT_ID)
            .expression_attribute_names("#ttl", attr::TTL)
            .expression_attribute_values(":now", now)
            .send()
            .await
            .map_err(|e| sdk_error("DeleteItem", photos, e));
        match result {
            Ok(_) => Ok(true),
            Err(err) if err.is_conflict() => Ok(false),
            Err(err) => Err(err),
        }
    }
}
