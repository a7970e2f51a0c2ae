//! `SqliteCatalog`: the catalog port over one SQLite database (bundled SQLite, WAL), for the
//! local stack and tests. Tables follow DESIGN §4; see [`schema`] for their shape.
//!
//! rusqlite is synchronous, so every call runs on tokio's blocking pool and never on a
//! runtime worker. One connection behind a mutex serialises this process's calls, which is
//! plenty for one photographer's laptop; the conditional writes are still expressed in SQL
//! inside `IMMEDIATE` transactions so that other processes sharing the file cannot race them.

mod codes;
mod counters;
mod events;
mod jobs;
mod photos;
mod rows;
mod schema;
mod users;
mod versioned;

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use rusqlite::Connection;
use tracing::instrument;

use crate::domain::{
    AccessCode, Event, EventId, Job, JobId, Page, PageRequest, Photo, PhotoId, Timestamp, User,
    UserId, UsernameHold,
};
use crate::error::{Error, Result};
use crate::ports::catalog::check_photo_ids_len;
use crate::ports::{Catalog, Counter, PhotoQuery};
use rows::db_err;

/// The catalog in a SQLite database file (or in memory, for tests).
#[derive(Clone)]
pub struct SqliteCatalog {
    conn: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteCatalog").finish_non_exhaustive()
    }
}

impl SqliteCatalog {
    /// Opens (creating if needed) the database at `path`, in WAL mode, with the schema in
    /// place. Blocks briefly: call it once at start-up.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_connection(Connection::open(path).map_err(db_err)?)
    }

    /// A private database that lives as long as this value (and its clones).
    pub fn open_in_memory() -> Result<Self> {
        Self::from_connection(Connection::open_in_memory().map_err(db_err)?)
    }

    fn from_connection(conn: Connection) -> Result<Self> {
        schema::prepare(&conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `op` with the connection on the blocking pool.
    async fn run<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            // A panic mid-call leaves no half-done work behind: its transaction rolled back
            // when it unwound, so the connection is safe to keep using.
            let mut guard = conn.lock().unwrap_or_else(PoisonError::into_inner);
            op(&mut guard)
        })
        .await
        .map_err(|e| Error::internal("catalog task failed", e))?
    }
}

#[async_trait]
impl Catalog for SqliteCatalog {
    #[instrument(level = "debug", skip_all, fields(user_id = %user.user_id))]
    async fn insert_user(&self, user: &User) -> Result<()> {
        let user = user.clone();
        self.run(move |c| users::insert(c, &user)).await
    }

    #[instrument(level = "debug", skip_all, fields(%user_id))]
    async fn get_user(&self, user_id: &UserId) -> Result<User> {
        let user_id = user_id.clone();
        self.run(move |c| users::get(c, &user_id)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn find_user_by_username(&self, username: &str) -> Result<User> {
        let username = username.to_owned();
        self.run(move |c| users::by_username(c, &username)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn find_username_hold(&self, username: &str) -> Result<Option<UsernameHold>> {
        let username = username.to_owned();
        self.run(move |c| users::username_hold(c, &username)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn find_user_by_email(&self, email: &str) -> Result<User> {
        let email = email.to_owned();
        self.run(move |c| users::by_email(c, &email)).await
    }

    #[instrument(level = "debug", skip_all, fields(%user_id))]
    async fn change_username(&self, user_id: &UserId, username: &str) -> Result<User> {
        let user_id = user_id.clone();
        let username = username.to_owned();
        self.run(move |c| users::change_username(c, &user_id, &username))
            .await
    }

    #[instrument(level = "debug", skip_all, fields(event_id = %event.event_id))]
    async fn insert_event(&self, event: &Event) -> Result<()> {
        let event = event.clone();
        self.run(move |c| events::insert(c, &event)).await
    }

    #[instrument(level = "debug", skip(self))]
    async fn get_event(&self, event_id: EventId) -> Result<Event> {
        self.run(move |c| events::get(c, event_id)).await
    }

    #[instrument(level = "debug", skip(self))]
    async fn get_event_live_or_expired(&self, event_id: EventId) -> Result<Event> {
        self.run(move |c| events::get_live_or_expired(c, event_id))
            .await
    }

    #[instrument(level = "debug", skip(self))]
    async fn find_event_by_path(&self, owner_id: &UserId, slug: &str) -> Result<Event> {
        let owner_id = owner_id.clone();
        let slug = slug.to_owned();
        self.run(move |c| events::find_by_path(c, &owner_id, &slug))
            .await
    }

    #[instrument(level = "debug", skip(self, page), fields(limit = page.limit))]
    async fn list_events_by_owner(
        &self,
        owner_id: &UserId,
        page: &PageRequest,
    ) -> Result<Page<Event>> {
        let owner_id = owner_id.clone();
        let page = page.clone();
        self.run(move |c| events::list_by_owner(c, &owner_id, &page))
            .await
    }

    #[instrument(level = "debug", skip_all, fields(event_id = %event.event_id, version = event.version))]
    async fn update_event(&self, event: &Event) -> Result<Event> {
        let event = event.clone();
        self.run(move |c| events::update(c, &event)).await
    }

    #[instrument(level = "debug", skip(self))]
    async fn add_photo_count(&self, event_id: EventId, delta: i64, limit: u64) -> Result<u64> {
        self.run(move |c| events::add_photo_count(c, event_id, delta, limit))
            .await
    }

    #[instrument(level = "debug", skip(self))]
    async fn delete_event(&self, event: &Event, tombstone_until: Option<Timestamp>) -> Result<()> {
        let event = event.clone();
        self.run(move |c| events::delete(c, &event, tombstone_until))
            .await
    }

    #[instrument(level = "debug", skip(self, page), fields(limit = page.limit))]
    async fn list_expired_events(&self, now: Timestamp, page: &PageRequest) -> Result<Page<Event>> {
        let page = page.clone();
        self.run(move |c| events::list_expired(c, now, &page)).await
    }

    #[instrument(level = "debug", skip_all, fields(count = photos.len()))]
    async fn insert_photos(&self, photos: &[Photo]) -> Result<()> {
        if photos.is_empty() {
            return Ok(());
        }
        let photos = photos.to_vec();
        self.run(move |c| photos::insert(c, &photos)).await
    }

    #[instrument(level = "debug", skip(self))]
    async fn get_photo(&self, event_id: EventId, photo_id: PhotoId) -> Result<Photo> {
        self.run(move |c| photos::get(c, event_id, photo_id)).await
    }

    #[instrument(level = "debug", skip(self, photo_ids), fields(count = photo_ids.len()))]
    async fn get_photos(&self, event_id: EventId, photo_ids: &[PhotoId]) -> Result<Vec<Photo>> {
        check_photo_ids_len(photo_ids)?;
        if photo_ids.is_empty() {
            return Ok(Vec::new());
        }
        let photo_ids = photo_ids.to_vec();
        self.run(move |c| photos::get_many(c, event_id, &photo_ids))
            .await
    }

    #[instrument(level = "debug", skip(self, sha256), fields(digests = sha256.len()))]
    async fn find_photos_by_sha256(
        &self,
        event_id: EventId,
        sha256: &[String],
    ) -> Result<Vec<Photo>> {
        if sha256.is_empty() {
            return Ok(Vec::new());
        }
        let digests = sha256.to_vec();
        self.run(move |c| photos::find_by_sha256(c, event_id, &digests))
            .await
    }

    #[instrument(level = "debug", skip(self, page), fields(limit = page.limit))]
    async fn list_photos(
        &self,
        event_id: EventId,
        query: &PhotoQuery,
        page: &PageRequest,
    ) -> Result<Page<Photo>> {
        let query = *query;
        let page = page.clone();
        self.run(move |c| photos::list(c, event_id, &query, &page))
            .await
    }

    #[instrument(level = "debug", skip_all, fields(event_id = %photo.event_id, photo_id = %photo.photo_id, version = photo.version))]
    async fn update_photo(&self, photo: &Photo) -> Result<Photo> {
        let photo = photo.clone();
        self.run(move |c| photos::update(c, &photo)).await
    }

    #[instrument(level = "debug", skip(self))]
    async fn delete_photo(&self, event_id: EventId, photo_id: PhotoId) -> Result<bool> {
        self.run(move |c| photos::delete(c, event_id, photo_id))
            .await
    }

    #[instrument(level = "debug", skip_all, fields(event_id = %code.event_id))]
    async fn insert_code(&self, code: &AccessCode) -> Result<()> {
        let code = code.clone();
        self.run(move |c| codes::insert(c, &code)).await
    }

    #[instrument(level = "debug", skip(self, code_key))]
    async fn get_code(&self, event_id: EventId, code_key: &str) -> Result<AccessCode> {
        let code_key = code_key.to_owned();
        self.run(move |c| codes::get(c, event_id, &code_key)).await
    }

    #[instrument(level = "debug", skip(self, page), fields(limit = page.limit))]
    async fn list_codes(&self, event_id: EventId, page: &PageRequest) -> Result<Page<AccessCode>> {
        let page = page.clone();
        self.run(move |c| codes::list(c, event_id, &page)).await
    }

    #[instrument(level = "debug", skip_all, fields(event_id = %code.event_id, version = code.version))]
    async fn update_code(&self, code: &AccessCode) -> Result<AccessCode> {
        let code = code.clone();
        self.run(move |c| codes::update(c, &code)).await
    }

    #[instrument(level = "debug", skip(self))]
    async fn increment_counter(&self, key: &str, window_ends: Timestamp) -> Result<Counter> {
        let key = key.to_owned();
        self.run(move |c| counters::increment(c, &key, window_ends))
            .await
    }

    #[instrument(level = "debug", skip(self))]
    async fn get_counter(&self, key: &str) -> Result<u64> {
        let key = key.to_owned();
        self.run(move |c| counters::get(c, &key)).await
    }

    #[instrument(level = "debug", skip_all, fields(event_id = %job.event_id, job_id = %job.job_id))]
    async fn insert_job(&self, job: &Job) -> Result<()> {
        let job = job.clone();
        self.run(move |c| jobs::insert(c, &job)).await
    }

    #[instrument(level = "debug", skip(self))]
    async fn get_job(&self, event_id: EventId, job_id: JobId) -> Result<Job> {
        self.run(move |c| jobs::get(c, event_id, job_id)).await
    }

    #[instrument(level = "debug", skip_all, fields(event_id = %job.event_id, job_id = %job.job_id, version = job.version))]
    async fn update_job(&self, job: &Job) -> Result<Job> {
        let job = job.clone();
        self.run(move |c| jobs::update(c, &job)).await
    }
}

#[cfg(test)]
mod tests;
