//! `DynamoCatalog`: the catalog port over DynamoDB (aws-sdk-dynamodb + serde_dynamo).
//!
//! # Tables
//!
//! All table definitions live in [`schema`]; the SAM template must mirror it. Physical names
//! are a deployment prefix plus the logical name ([`DynamoTables::with_prefix`]). Every row
//! is the domain struct as serde_dynamo writes it (timestamps as RFC 3339 strings) plus the
//! key, index and TTL attributes below. On-demand billing everywhere.
//!
//! | table | key | items | indexes | TTL |
//! |-------|-----|-------|---------|-----|
//! | `Users` | `pk` | `user#{user_id}` (row), `username#{name}` and `email#{address}` (uniqueness claims holding `user_id`; a username given up by a rename keeps its claim with `held_until`) | — | — |
//! | `Events` | `pk` | `event#{event_id}` (row), `path#{owner_id}#{slug}` (public-path claim holding `event_id`; a tombstone also holds `tombstone_until`) | GSI `by_owner` (`owner_id`, `owner_created` = `{created_at}#{event_id}`), sparse: rows only | `ttl_epoch` |
//! | `Photos` | `event_id`, `photo_id` | photo rows | LSI `by_taken` (`taken_sort` = `t{taken_at}#{photo_id}` or `z#{photo_id}`), LSI `by_sha256` (`sha256`) | `ttl_epoch` |
//! | `AccessCodes` | `event_id`, `code_key` | code rows | LSI `by_created` (`created_sort` = `{created_at}#{code_key}`) | `ttl_epoch` |
//! | `Jobs` | `event_id`, `job_id` | job rows | — | `ttl_epoch` |
//! | `Counters` | `pk` | `count` and the window end | — | `ttl_epoch` |
//!
//! Times inside sort keys are 20-digit, sign-shifted epoch seconds so text order is time
//! order. `ttl_epoch` is the row's `expires_at` as a number (the domain field is a string,
//! which DynamoDB TTL ignores); child rows carry their event's expiry. TTL deletes lazily
//! (and moto never does), so every read treats a row whose `ttl_epoch` has passed as gone.
//! An event row's `children_ttl_epoch` says which expiry its children were last all brought
//! to: `update_event` carries a changed expiry to them after writing the event (module
//! `expiry`).
//!
//! # Uniqueness and races
//!
//! Usernames, e-mails and event paths are unique through claim items written with
//! `attribute_not_exists` in the same `TransactWriteItems` as the row, so two writers
//! cannot both win. A rename turns the old username's claim into a hold (`held_until`,
//! 30 days on) in the same transaction; a hold whose time has passed counts as absent (the
//! `Users` table has no TTL: it stays, inert, until the name is claimed again). A path claim's `ttl_epoch` follows its event's expiry (updated with the
//! event), so an expired event's slug may be claimed again; a tombstone keeps it until
//! `tombstone_until`. Updates are conditional on `version`.
//!
//! `insert_photos` checks existence with `BatchGetItem` and then writes with parallel
//! `BatchWriteItem` calls, which cannot carry conditions: a writer inserting the same id
//! between the check and the write would be overwritten. Photo ids are fresh ULIDs minted
//! by the server, so that window only matters for a caller bug, and the check catches the
//! ordinary one (registering the same ids twice).

mod batch;
mod codes;
mod counters;
mod errors;
mod events;
mod expiry;
mod items;
mod jobs;
mod ops;
mod paging;
mod photos;
pub mod schema;
mod stream;
mod users;

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
    LocalSecondaryIndex, Projection, ProjectionType, ScalarAttributeType, TableStatus,
    TimeToLiveSpecification,
};
use tracing::{info, instrument};

pub use schema::DynamoTables;
use schema::{IndexKind, TableSpec};
pub use stream::event_expired_by_ttl;

use crate::domain::{
    AccessCode, Event, EventId, Job, JobId, Page, PageRequest, Photo, PhotoId, Timestamp, User,
    UserId, UsernameHold,
};
use crate::error::{Error, Result};
use crate::ports::catalog::check_photo_ids_len;
use crate::ports::{Catalog, Counter, PhotoQuery};
use errors::{build_error, sdk_error};

/// How long `create_tables` waits for a new table to become active.
const TABLE_ACTIVE_TIMEOUT: Duration = Duration::from_secs(300);

/// The catalog on DynamoDB. Cheap to clone; build one per process (one SDK client).
#[derive(Debug, Clone)]
pub struct DynamoCatalog {
    client: aws_sdk_dynamodb::Client,
    tables: DynamoTables,
}

impl DynamoCatalog {
    /// A catalog over `client` and the tables named by `tables`.
    pub fn new(client: aws_sdk_dynamodb::Client, tables: DynamoTables) -> Self {
        Self { client, tables }
    }

    /// A catalog with a client built from the shared AWS configuration (endpoint,
    /// region and credentials come from there, e.g. `AWS_ENDPOINT_URL_DYNAMODB`).
    pub fn from_sdk_config(config: &aws_config::SdkConfig, tables: DynamoTables) -> Self {
        Self::new(aws_sdk_dynamodb::Client::new(config), tables)
    }

    /// The table names in use.
    pub fn tables(&self) -> &DynamoTables {
        &self.tables
    }

    /// Creates every table of [`schema`] (on-demand billing) and turns on TTL. Tables that
    /// already exist are left as they are. For tests and local tooling; deployments get
    /// their tables from the SAM template.
    pub async fn create_tables(&self) -> Result<()> {
        let specs = self.tables.specs();
        futures::future::try_join_all(
            specs
                .iter()
                .map(|(spec, name)| self.create_table(spec, name)),
        )
        .await?;
        Ok(())
    }

    #[instrument(skip(self, spec))]
    async fn create_table(&self, spec: &TableSpec, name: &str) -> Result<()> {
        let mut attributes: Vec<&str> = vec![spec.hash_key];
        attributes.extend(spec.range_key);
        for index in spec.indexes {
            attributes.extend([index.hash_key, index.range_key]);
        }
        attributes.sort_unstable();
        attributes.dedup();
        let definitions = attributes
            .into_iter()
            .map(|attribute| {
                AttributeDefinition::builder()
                    .attribute_name(attribute)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(build_error)
            })
            .collect::<Result<Vec<_>>>()?;
        let mut request = self
            .client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(definitions))
            .set_key_schema(Some(key_schema(spec.hash_key, spec.range_key)?));
        for index in spec.indexes {
            let keys = key_schema(index.hash_key, Some(index.range_key))?;
            let projection = Projection::builder()
                .projection_type(ProjectionType::All)
                .build();
            request = match index.kind {
                IndexKind::Global => request.global_secondary_indexes(
                    GlobalSecondaryIndex::builder()
                        .index_name(index.name)
                        .set_key_schema(Some(keys))
                        .projection(projection)
                        .build()
                        .map_err(build_error)?,
                ),
                IndexKind::Local => request.local_secondary_indexes(
                    LocalSecondaryIndex::builder()
                        .index_name(index.name)
                        .set_key_schema(Some(keys))
                        .projection(projection)
                        .build()
                        .map_err(build_error)?,
                ),
            };
        }
        let created = match request.send().await {
            Ok(out) => out,
            Err(err)
                if aws_sdk_dynamodb::error::ProvideErrorMetadata::code(&err)
                    == Some("ResourceInUseException") =>
            {
                info!(table = name, "exists");
                return Ok(());
            }
            Err(err) => return Err(sdk_error("CreateTable", name, err)),
        };
        let active = created
            .table_description
            .and_then(|table| table.table_status)
            .is_some_and(|status| status == TableStatus::Active);
        if !active {
            self.client
                .wait_until_table_exists()
                .table_name(name)
                .wait(TABLE_ACTIVE_TIMEOUT)
                .await
                .map_err(|e| Error::internal(format!("table {name} did not become active"), e))?;
        }
        info!(table = name, "created");
        if let Some(ttl) = spec.ttl_attribute {
            self.client
                .update_time_to_live()
                .table_name(name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(ttl)
                        .enabled(true)
                        .build()
                        .map_err(build_error)?,
                )
                .send()
                .await
                .map_err(|e| sdk_error("UpdateTimeToLive", name, e))?;
        }
        Ok(())
    }
}

fn key_schema(hash: &str, range: Option<&str>) -> Result<Vec<KeySchemaElement>> {
    let element = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .map_err(build_error)
    };
    let mut keys = vec![element(hash, KeyType::Hash)?];
    if let Some(range) = range {
        keys.push(element(range, KeyType::Range)?);
    }
    Ok(keys)
}

#[async_trait]
impl Catalog for DynamoCatalog {
    async fn insert_user(&self, user: &User) -> Result<()> {
        self.insert_user_row(user).await
    }

    async fn get_user(&self, user_id: &UserId) -> Result<User> {
        self.get_user_row(user_id).await
    }

    async fn find_user_by_username(&self, username: &str) -> Result<User> {
        self.find_user_by_claim(&items::username_pk(username)).await
    }

    async fn find_username_hold(&self, username: &str) -> Result<Option<UsernameHold>> {
        self.find_username_hold_claim(username).await
    }

    async fn find_user_by_email(&self, email: &str) -> Result<User> {
        self.find_user_by_claim(&items::email_pk(email)).await
    }

    async fn change_username(&self, user_id: &UserId, username: &str) -> Result<User> {
        self.change_username_row(user_id, username).await
    }

    async fn insert_event(&self, event: &Event) -> Result<()> {
        self.insert_event_row(event).await
    }

    async fn get_event(&self, event_id: EventId) -> Result<Event> {
        self.get_live_event(event_id).await
    }

    async fn get_event_live_or_expired(&self, event_id: EventId) -> Result<Event> {
        self.load_event(event_id)
            .await?
            .ok_or_else(events::event_not_found)
    }

    async fn find_event_by_path(&self, owner_id: &UserId, slug: &str) -> Result<Event> {
        self.find_event_by_path_claim(owner_id, slug).await
    }

    async fn list_events_by_owner(
        &self,
        owner_id: &UserId,
        page: &PageRequest,
    ) -> Result<Page<Event>> {
        self.list_owner_events(owner_id, page).await
    }

    async fn update_event(&self, event: &Event) -> Result<Event> {
        self.update_event_row(event).await
    }

    async fn add_photo_count(&self, event_id: EventId, delta: i64, limit: u64) -> Result<u64> {
        self.add_to_photo_count(event_id, delta, limit).await
    }

    async fn delete_event(&self, event: &Event, tombstone_until: Option<Timestamp>) -> Result<()> {
        self.delete_event_rows(event, tombstone_until).await
    }

    async fn list_expired_events(&self, now: Timestamp, page: &PageRequest) -> Result<Page<Event>> {
        self.list_expired(now, page).await
    }

    async fn insert_photos(&self, photos: &[Photo]) -> Result<()> {
        self.insert_photo_rows(photos).await
    }

    async fn get_photo(&self, event_id: EventId, photo_id: PhotoId) -> Result<Photo> {
        self.get_photo_row(event_id, photo_id).await
    }

    async fn get_photos(&self, event_id: EventId, photo_ids: &[PhotoId]) -> Result<Vec<Photo>> {
        check_photo_ids_len(photo_ids)?;
        self.get_photo_rows(event_id, photo_ids).await
    }

    async fn find_photos_by_sha256(
        &self,
        event_id: EventId,
        sha256: &[String],
    ) -> Result<Vec<Photo>> {
        self.find_photos_by_digest(event_id, sha256).await
    }

    async fn list_photos(
        &self,
        event_id: EventId,
        query: &PhotoQuery,
        page: &PageRequest,
    ) -> Result<Page<Photo>> {
        self.list_photo_rows(event_id, query, page).await
    }

    async fn update_photo(&self, photo: &Photo) -> Result<Photo> {
        self.update_photo_row(photo).await
    }

    async fn delete_photo(&self, event_id: EventId, photo_id: PhotoId) -> Result<bool> {
        self.delete_photo_row(event_id, photo_id).await
    }

    async fn insert_code(&self, code: &AccessCode) -> Result<()> {
        self.insert_code_row(code).await
    }

    async fn get_code(&self, event_id: EventId, code_key: &str) -> Result<AccessCode> {
        self.get_code_row(event_id, code_key).await
    }

    async fn list_codes(&self, event_id: EventId, page: &PageRequest) -> Result<Page<AccessCode>> {
        self.list_code_rows(event_id, page).await
    }

    async fn update_code(&self, code: &AccessCode) -> Result<AccessCode> {
        self.update_code_row(code).await
    }

    async fn increment_counter(&self, key: &str, window_ends: Timestamp) -> Result<Counter> {
        self.increment(key, window_ends).await
    }

    async fn get_counter(&self, key: &str) -> Result<u64> {
        self.read_counter(key).await
    }

    async fn insert_job(&self, job: &Job) -> Result<()> {
        self.insert_job_row(job).await
    }

    async fn get_job(&self, event_id: EventId, job_id: JobId) -> Result<Job> {
        self.get_job_row(event_id, job_id).await
    }

    async fn update_job(&self, job: &Job) -> Result<Job> {
        self.update_job_row(job).await
    }
}
