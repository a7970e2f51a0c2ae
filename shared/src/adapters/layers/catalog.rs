//! [`Catalog`] through a [`CallLayer`].

use async_trait::async_trait;

use super::{CallLayer, Layered, through};
use crate::domain::{
    AccessCode, Event, EventId, Job, JobId, Page, PageRequest, Photo, PhotoId, Timestamp, User,
    UserId, UsernameHold,
};
use crate::error::Result;
use crate::ports::{Catalog, Counter, PhotoQuery};

#[async_trait]
impl<L: CallLayer> Catalog for Layered<dyn Catalog, L> {
    async fn insert_user(&self, user: &User) -> Result<()> {
        through!(self, "catalog", Once, insert_user(user))
    }
    async fn get_user(&self, user_id: &UserId) -> Result<User> {
        through!(self, "catalog", Idempotent, get_user(user_id))
    }
    async fn find_user_by_username(&self, username: &str) -> Result<User> {
        through!(self, "catalog", Idempotent, find_user_by_username(username))
    }
    async fn find_username_hold(&self, username: &str) -> Result<Option<UsernameHold>> {
        through!(self, "catalog", Idempotent, find_username_hold(username))
    }
    async fn find_user_by_email(&self, email: &str) -> Result<User> {
        through!(self, "catalog", Idempotent, find_user_by_email(email))
    }
    async fn change_username(&self, user_id: &UserId, username: &str) -> Result<User> {
        through!(self, "catalog", Once, change_username(user_id, username))
    }

    async fn insert_event(&self, event: &Event) -> Result<()> {
        through!(self, "catalog", Once, insert_event(event))
    }
    async fn get_event(&self, event_id: EventId) -> Result<Event> {
        through!(self, "catalog", Idempotent, get_event(event_id))
    }
    async fn get_event_live_or_expired(&self, event_id: EventId) -> Result<Event> {
        through!(
            self,
            "catalog",
            Idempotent,
            get_event_live_or_expired(event_id)
        )
    }
    async fn find_event_by_path(&self, owner_id: &UserId, slug: &str) -> Result<Event> {
        through!(
            self,
            "catalog",
            Idempotent,
            find_event_by_path(owner_id, slug)
        )
    }
    async fn list_events_by_owner(
        &self,
        owner_id: &UserId,
        page: &PageRequest,
    ) -> Result<Page<Event>> {
        through!(
            self,
            "catalog",
            Idempotent,
            list_events_by_owner(owner_id, page)
        )
    }
    async fn update_event(&self, event: &Event) -> Result<Event> {
        through!(self, "catalog", Once, update_event(event))
    }
    async fn add_photo_count(&self, event_id: EventId, delta: i64, limit: u64) -> Result<u64> {
        through!(
            self,
            "catalog",
            Once,
            add_photo_count(event_id, delta, limit)
        )
    }
    async fn delete_event(&self, event: &Event, tombstone_until: Option<Timestamp>) -> Result<()> {
        through!(
            self,
            "catalog",
            Idempotent,
            delete_event(event, tombstone_until)
        )
    }
    async fn list_expired_events(&self, now: Timestamp, page: &PageRequest) -> Result<Page<Event>> {
        through!(self, "catalog", Idempotent, list_expired_events(now, page))
    }

    async fn insert_photos(&self, photos: &[Photo]) -> Result<()> {
        through!(self, "catalog", Once, insert_photos(photos))
    }
    async fn get_photo(&self, event_id: EventId, photo_id: PhotoId) -> Result<Photo> {
        through!(self, "catalog", Idempotent, get_photo(event_id, photo_id))
    }
    async fn get_photos(&self, event_id: EventId, photo_ids: &[PhotoId]) -> Result<Vec<Photo>> {
        through!(self, "catalog", Idempotent, get_photos(event_id, photo_ids))
    }
    async fn find_photos_by_sha256(
        &self,
        event_id: EventId,
        sha256: &[String],
    ) -> Result<Vec<Photo>> {
        through!(
            self,
            "catalog",
            Idempotent,
            find_photos_by_sha256(event_id, sha256)
        )
    }
    async fn list_photos(
        &self,
        event_id: EventId,
        query: &PhotoQuery,
        page: &PageRequest,
    ) -> Result<Page<Photo>> {
        through!(
            self,
            "catalog",
            Idempotent,
            list_photos(event_id, query, page)
        )
    }
    async fn update_photo(&self, photo: &Photo) -> Result<Photo> {
        through!(self, "catalog", Once, update_photo(photo))
    }
    async fn delete_photo(&self, event_id: EventId, photo_id: PhotoId) -> Result<bool> {
        through!(self, "catalog", Once, delete_photo(event_id, photo_id))
    }

    async fn insert_code(&self, code: &AccessCode) -> Result<()> {
        through!(self, "catalog", Once, insert_code(code))
    }
    async fn get_code(&self, event_id: EventId, code_key: &str) -> Result<AccessCode> {
        through!(self, "catalog", Idempotent, get_code(event_id, code_key))
    }
    async fn list_codes(&self, event_id: EventId, page: &PageRequest) -> Result<Page<AccessCode>> {
        through!(self, "catalog", Idempotent, list_codes(event_id, page))
    }
    async fn update_code(&self, code: &AccessCode) -> Result<AccessCode> {
        through!(self, "catalog", Once, update_code(code))
    }

    async fn increment_counter(&self, key: &str, window_ends: Timestamp) -> Result<Counter> {
        through!(self, "catalog", Once, increment_counter(key, window_ends))
    }
    async fn get_counter(&self, key: &str) -> Result<u64> {
        through!(self, "catalog", Idempotent, get_counter(key))
    }

    async fn insert_job(&self, job: &Job) -> Result<()> {
        through!(self, "catalog", Once, insert_job(job))
    }
    async fn get_job(&self, event_id: EventId, job_id: JobId) -> Result<Job> {
        through!(self, "catalog", Idempotent, get_job(event_id, job_id))
    }
    async fn update_job(&self, job: &Job) -> Result<Job> {
        through!(self, "catalog", Once, update_job(job))
    }
}
