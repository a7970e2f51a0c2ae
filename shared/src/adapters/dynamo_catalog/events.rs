//! Events, their public-path claims and tombstones, and cascading deletes.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{Delete, Put, ReturnValue, TransactWriteItem, Update};

use super::DynamoCatalog;
use super::errors::{TransactFailure, build_error, sdk_error, transact_error};
use super::items::{
    Item, event_item, event_pk, from_item, get_n, get_s, key1, n, path_pk, s, to_attribute,
};
use super::ops::through_transactions;
use super::paging::{ListSpec, Source};
use super::schema::{BY_OWNER, attr};
use crate::domain::{Event, EventId, Page, PageRequest, Timestamp, UserId, tombstone_expired};
use crate::error::{Error, Result};

const TOMBSTONE_UNTIL: &str = "tombstone_until";

pub(super) fn event_not_found() -> Error {
    Error::not_found("event_not_found", "no such event")
}

fn event_expired() -> Error {
    Error::expired("event_expired", "this event has expired")
}

impl DynamoCatalog {
    /// The event row whether or not it has expired.
    pub(super) async fn load_event(&self, event_id: EventId) -> Result<Option<Event>> {
        let pk = event_pk(event_id);
        match self
            .get_item(&self.tables.events, key1(attr::PK, pk.clone()))
            .await?
        {
            Some(item) => Ok(Some(from_item(item, &self.tables.events, &pk)?)),
            None => Ok(None),
        }
    }

    pub(super) async fn insert_event_row(&self, event: &Event) -> Result<()> {
        let table = &self.tables.events;
        let row = TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(table)
                    .set_item(Some(event_item(event)?))
                    .condition_expression("attribute_not_exists(#pk)")
                    .expression_attribute_names("#pk", attr::PK)
                    .build()
                    .map_err(build_error)?,
            )
            .build();
        // A claim whose TTL has passed belongs to an expired event or an old tombstone.
        let claim = TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(table)
                    .set_item(Some(Item::from([
                        (
                            attr::PK.to_owned(),
                            s(path_pk(&event.owner_id, &event.slug)),
                        ),
                        (attr::EVENT_ID.to_owned(), s(event.event_id.to_string())),
                        (attr::TTL.to_owned(), n(event.expires_at.epoch_secs())),
                    ])))
                    .condition_expression("attribute_not_exists(#pk) OR #ttl <= :now")
                    .expression_attribute_names("#pk", attr::PK)
                    .expression_attribute_names("#ttl", attr::TTL)
                    .expression_attribute_values(":now", n(Timestamp::now().epoch_secs()))
                    .build()
                    .map_err(build_error)?,
            )
            .build();
        let result = self
            .client
            .transact_write_items()
            .transact_items(row)
            .transact_items(claim)
            .send()
            .await;
        match result.map_err(|e| transact_error(table, e)) {
            Ok(_) => Ok(()),
            Err(TransactFailure::Conditions(failed)) if failed.contains(&0) => {
                Err(Error::conflict("event_exists", "the event already exists"))
            }
            Err(TransactFailure::Conditions(_)) => Err(Error::conflict(
                "slug_taken",
                "you already have an event at that address",
            )),
            Err(TransactFailure::Other(err)) => Err(err),
        }
    }

    pub(super) async fn get_live_event(&self, event_id: EventId) -> Result<Event> {
        let event = self
            .load_event(event_id)
            .await?
            .ok_or_else(event_not_found)?;
        if event.is_expired(Timestamp::now()) {
            return Err(event_expired());
        }
        Ok(event)
    }

    pub(super) async fn find_event_by_path_claim(
        &self,
        owner_id: &UserId,
        slug: &str,
    ) -> Result<Event> {
        let table = &self.tables.events;
        let pk = path_pk(owner_id, slug);
        let claim = self
            .get_item(table, key1(attr::PK, pk.clone()))
            .await?
            .ok_or_else(event_not_found)?;
        if let Some(until) = get_n(&claim, TOMBSTONE_UNTIL) {
            let until = Timestamp::from_epoch_secs(until);
            return if until.has_passed(Timestamp::now()) {
                Err(event_not_found())
            } else {
                Err(tombstone_expired(until))
            };
        }
        let event_id = get_s(&claim, attr::EVENT_ID)
            .and_then(|text| EventId::parse(text).ok())
            .ok_or_else(|| {
                Error::internal_msg(format!(
                    "malformed item in {table} at key {pk}: no event_id"
                ))
            })?;
        let event = self
            .load_event(event_id)
            .await?
            .ok_or_else(event_not_found)?;
        if &event.owner_id != owner_id || event.slug != slug {
            return Err(event_not_found());
        }
        Ok(event)
    }

    pub(super) async fn list_owner_events(
        &self,
        owner_id: &UserId,
        page: &PageRequest,
    ) -> Result<Page<Event>> {
        let table = &self.tables.events;
        let spec = ListSpec {
            table,
            source: Source::Query {
                index: Some(BY_OWNER.name),
                key_condition: "#owner = :owner",
                forward: false,
            },
            filter: Some("#ttl > :now".to_owned()),
            names: HashMap::from([
                ("#owner".to_owned(), attr::OWNER_ID.to_owned()),
                ("#ttl".to_owned(), attr::TTL.to_owned()),
            ]),
            values: HashMap::from([
                (":owner".to_owned(), s(owner_id.as_str())),
                (":now".to_owned(), n(Timestamp::now().epoch_secs())),
            ]),
            key_attrs: &[attr::PK, attr::OWNER_ID, attr::OWNER_CREATED],
            fixed: Some((attr::OWNER_ID, owner_id.as_str().to_owned())),
            scope: format!("events/owner/{owner_id}"),
        };
        let (items, next) = self.list_page(spec, page).await?;
        Ok(Page {
            items: self.events_from(items)?,
            next,
        })
    }

    pub(super) async fn list_expired(
        &self,
        now: Timestamp,
        page: &PageRequest,
    ) -> Result<Page<Event>> {
        // A scan: the reaper's daily sweep reads the Events table (events and claims, no
        // photos) once; the TTL stream handles the rest as it happens.
        let spec = ListSpec {
            table: &self.tables.events,
            source: Source::Scan,
            filter: Some("begins_with(#pk, :event) AND #ttl <= :now".to_owned()),
            names: HashMap::from([
                ("#pk".to_owned(), attr::PK.to_owned()),
                ("#ttl".to_owned(), attr::TTL.to_owned()),
            ]),
            values: HashMap::from([
                (":event".to_owned(), s("event#")),
                (":now".to_owned(), n(now.epoch_secs())),
            ]),
            key_attrs: &[attr::PK],
            fixed: None,
            scope: "events/expired".to_owned(),
        };
        let (items, next) = self.list_page(spec, page).await?;
        Ok(Page {
            items: self.events_from(items)?,
            next,
        })
    }

    fn events_from(&self, items: Vec<Item>) -> Result<Vec<Event>> {
        items
            .into_iter()
            .map(|item| {
                let pk = get_s(&item, attr::PK).unwrap_or("?").to_owned();
                from_item(item, &self.tables.events, &pk)
            })
            .collect()
    }

    pub(super) async fn update_event_row(&self, event: &Event) -> Result<Event> {
        let table = &self.tables.events;
        let pk = event_pk(event.event_id);
        let values = HashMap::from([
            (":name".to_owned(), s(&event.name)),
            (":expires".to_owned(), to_attribute(&event.expires_at)?),
            (":ttl".to_owned(), n(event.expires_at.epoch_secs())),
            (":cover".to_owned(), to_attribute(&event.cover_photo_id)?),
            (":watermark".to_owned(), to_attribute(&event.watermark)?),
            (":version".to_owned(), n(event.version)),
            (":next".to_owned(), n(event.version.saturating_add(1))),
        ]);
        let names = HashMap::from([
            ("#pk".to_owned(), attr::PK.to_owned()),
            ("#ttl".to_owned(), attr::TTL.to_owned()),
            ("#name".to_owned(), "name".to_owned()),
        ]);
        const SET: &str = "SET #name = :name, expires_at = :expires, #ttl = :ttl, \
                           cover_photo_id = :cover, watermark = :watermark, version = :next";
        const CONDITION: &str = "attribute_exists(#pk) AND version = :version";
        let row = TransactWriteItem::builder()
            .update(
                Update::builder()
                    .table_name(table)
                    .set_key(Some(key1(attr::PK, pk.clone())))
                    .update_expression(SET)
                    .condition_expression(CONDITION)
                    .set_expression_attribute_names(Some(names.clone()))
                    .set_expression_attribute_values(Some(values.clone()))
                    .build()
                    .map_err(build_error)?,
            )
            .build();
        // The path claim lives as long as its event.
        let claim = TransactWriteItem::builder()
            .update(
                Update::builder()
                    .table_name(table)
                    .set_key(Some(key1(attr::PK, path_pk(&event.owner_id, &event.slug))))
                    .update_expression("SET #ttl = :ttl")
                    .condition_expression("#eid = :eid AND attribute_not_exists(#tomb)")
                    .expression_attribute_names("#ttl", attr::TTL)
                    .expression_attribute_names("#eid", attr::EVENT_ID)
                    .expression_attribute_names("#tomb", TOMBSTONE_UNTIL)
                    .expression_attribute_values(":ttl", n(event.expires_at.epoch_secs()))
                    .expression_attribute_values(":eid", s(event.event_id.to_string()))
                    .build()
                    .map_err(build_error)?,
            )
            .build();
        let result = self
            .client
            .transact_write_items()
            .transact_items(row)
            .transact_items(claim)
            .send()
            .await;
        match result.map_err(|e| transact_error(table, e)) {
            Ok(_) => {}
            Err(TransactFailure::Conditions(failed)) if failed.contains(&0) => {
                return Err(match self.load_event(event.event_id).await? {
                    None => event_not_found(),
                    Some(_) => Error::conflict(
                        "version_conflict",
                        "the event was changed by someone else; reload and try again",
                    ),
                });
            }
            Err(TransactFailure::Conditions(_)) => {
                // The path is no longer this event's (it expired and was claimed again):
                // update the row alone.
                self.client
                    .update_item()
                    .table_name(table)
                    .set_key(Some(key1(attr::PK, pk.clone())))
                    .update_expression(SET)
                    .condition_expression(CONDITION)
                    .set_expression_attribute_names(Some(names))
                    .set_expression_attribute_values(Some(values))
                    .send()
                    .await
                    .map_err(|e| sdk_error("UpdateItem", table, e))?;
            }
            Err(TransactFailure::Other(err)) => return Err(err),
        }
        let stored = self
            .get_item(table, key1(attr::PK, pk.clone()))
            .await?
            .ok_or_else(event_not_found)?;
        let updated: Event = from_item(stored.clone(), table, &pk)?;
        // Not atomic with the write above: see `expiry` for what happens if this fails.
        self.settle_children_expiry(event.event_id, stored).await?;
        Ok(updated)
    }

    pub(super) async fn add_to_photo_count(
        &self,
        event_id: EventId,
        delta: i64,
        limit: u64,
    ) -> Result<u64> {
        let table = &self.tables.events;
        let magnitude = delta.unsigned_abs();
        let too_large = || {
            Error::too_large(
                "event_photo_limit",
                format!("an event holds at most {limit} photos"),
            )
        };
        let (condition, bound) = if delta >= 0 {
            match limit.checked_sub(magnitude) {
                Some(most_before) => (
                    "attribute_exists(#pk) AND photo_count <= :bound",
                    most_before,
                ),
                None => {
                    self.get_live_event(event_id).await?;
                    return Err(too_large());
                }
            }
        } else {
            ("attribute_exists(#pk) AND photo_count >= :bound", magnitude)
        };
        let request = self
            .client
            .update_item()
            .table_name(table)
            .key(attr::PK, s(event_pk(event_id)))
            .update_expression("ADD photo_count :delta")
            .condition_expression(condition)
            .expression_attribute_names("#pk", attr::PK)
            .expression_attribute_values(":delta", n(delta))
            .expression_attribute_values(":bound", n(bound))
            .return_values(ReturnValue::UpdatedNew);
        // `delete_photo`'s transaction holds the event row for a moment: wait for it rather
        // than take the refusal for a full event.
        let result = through_transactions(|| request.clone().send())
            .await
            .map_err(|e| sdk_error("UpdateItem", table, e));
        match result {
            Ok(out) => out
                .attributes
                .as_ref()
                .and_then(|a| get_n(a, "photo_count"))
                .and_then(|count| u64::try_from(count).ok())
                .ok_or_else(|| {
                    Error::internal_msg(format!(
                        "malformed item in {table} at key {}: photo_count",
                        event_pk(event_id)
                    ))
                }),
            Err(err) if err.is_conflict() => {
                self.get_live_event(event_id).await?;
                if delta >= 0 {
                    Err(too_large())
                } else {
                    Err(Error::conflict(
                        "photo_count_negative",
                        "the event has fewer photos than that",
                    ))
                }
            }
            Err(err) => Err(err),
        }
    }

    pub(super) async fn delete_event_rows(
        &self,
        event: &Event,
        tombstone_until: Option<Timestamp>,
    ) -> Result<()> {
        let event_id = event.event_id;
        let id = event_id.to_string();
        // Children first: if this fails half-way, the event row is still there for the
        // reaper to find and retry.
        futures::try_join!(
            self.delete_partition(&self.tables.photos, attr::EVENT_ID, attr::PHOTO_ID, &id),
            self.delete_partition(
                &self.tables.access_codes,
                attr::EVENT_ID,
                attr::CODE_KEY,
                &id
            ),
            self.delete_partition(&self.tables.jobs, attr::EVENT_ID, attr::JOB_ID, &id),
        )?;
        let table = &self.tables.events;
        let claim_pk = path_pk(&event.owner_id, &event.slug);
        let row = TransactWriteItem::builder()
            .delete(
                Delete::builder()
                    .table_name(table)
                    .set_key(Some(key1(attr::PK, event_pk(event_id))))
                    .build()
                    .map_err(build_error)?,
            )
            .build();
        let claim = match tombstone_until {
            Some(until) => TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(table)
                        .set_item(Some(Item::from([
                            (attr::PK.to_owned(), s(claim_pk)),
                            (attr::EVENT_ID.to_owned(), s(&id)),
                            (TOMBSTONE_UNTIL.to_owned(), n(until.epoch_secs())),
                            (attr::TTL.to_owned(), n(until.epoch_secs())),
                        ])))
                        .condition_expression("attribute_not_exists(#pk) OR #eid = :eid")
                        .expression_attribute_names("#pk", attr::PK)
                        .expression_attribute_names("#eid", attr::EVENT_ID)
                        .expression_attribute_values(":eid", s(&id))
                        .build()
                        .map_err(build_error)?,
                )
                .build(),
            None => TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name(table)
                        .set_key(Some(key1(attr::PK, claim_pk)))
                        .condition_expression("#eid = :eid")
                        .expression_attribute_names("#eid", attr::EVENT_ID)
                        .expression_attribute_values(":eid", s(&id))
                        .build()
                        .map_err(build_error)?,
                )
                .build(),
        };
        let result = self
            .client
            .transact_write_items()
            .transact_items(row)
            .transact_items(claim)
            .send()
            .await;
        match result.map_err(|e| transact_error(table, e)) {
            Ok(_) => Ok(()),
            // The path belongs to another event now (or was never written): leave it.
            Err(TransactFailure::Conditions(_)) => {
                self.client
                    .delete_item()
                    .table_name(table)
                    .key(attr::PK, s(event_pk(event_id)))
                    .send()
                    .await
                    .map_err(|e| sdk_error("DeleteItem", table, e))?;
                Ok(())
            }
            Err(TransactFailure::Other(err)) => Err(err),
        }
    }
}
