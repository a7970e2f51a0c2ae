//! The catalog port: every row the product keeps, shaped by the access patterns of the
//! handlers (DESIGN §4), not a generic key-value API.
//!
//! Rules every adapter follows (the conformance suite checks each):
//! - An expired row is gone, whatever the store still holds (TTL is lazy): reads of a child
//!   row past its `expires_at` are `NotFound`, lists skip it. `get_event` answers `Expired`
//!   (410) instead, so a stale link says "expired"; `find_event_by_path` returns the expired
//!   event (its caller says when it expired) and `Expired` for a tombstone.
//! - Updates are conditional on `version`: the stored row must still have the caller's
//!   version, else `Conflict`; the returned row carries `version + 1`.
//! - Lists are cursor-paged; every item appears exactly once across pages, in order.
//! - A child row (photo, access code, job) carries its event's `expires_at` (DESIGN §4):
//!   `update_event` carries a changed expiry to every live child, and the child updates keep
//!   the stored expiry whatever their caller's copy says. An access code's own expiry is its
//!   `valid_until`, which neither touches. Inserts store a new child with the expiry its
//!   event has at the time of the write ([`child_expiry`]), so a request that read the
//!   event before a change of its expiry cannot leave rows behind with the old one.

use async_trait::async_trait;

use crate::domain::{
    AccessCode, Event, EventId, Job, JobId, Page, PageRequest, Photo, PhotoId, PhotoStatus,
    Timestamp, User, UserId, UsernameHold,
};
use crate::error::{Error, Result};

/// The `expires_at` a new child row is stored with: its event's current expiry, so a row
/// made from a copy of the event read before its expiry changed neither vanishes at the old
/// time nor outlives the event. A row written already expired stays as it is (it is gone
/// either way), and so does a row whose event has no row any more (`event` is `None`).
pub fn child_expiry(own: Timestamp, event: Option<Timestamp>, now: Timestamp) -> Timestamp {
    match event {
        Some(event) if !own.has_passed(now) => event,
        _ => own,
    }
}

/// Most photo ids one [`Catalog::get_photos`] call reads (a viewer's page, a selection to
/// download); more is `Invalid` (`too_many_photo_ids`).
pub const MAX_GET_PHOTOS: usize = 1_000;

/// `Invalid` (`too_many_photo_ids`) when a [`Catalog::get_photos`] call asks for more than
/// [`MAX_GET_PHOTOS`]; every adapter checks it before reading.
pub fn check_photo_ids_len(photo_ids: &[PhotoId]) -> Result<()> {
    if photo_ids.len() > MAX_GET_PHOTOS {
        return Err(Error::invalid(
            "too_many_photo_ids",
            format!("at most {MAX_GET_PHOTOS} photos can be read at once"),
        ));
    }
    Ok(())
}

/// What [`Catalog::get_photos`] returns from the rows an adapter `found` (any order): those
/// asked for, in the order of `photo_ids`, each once.
pub fn in_requested_order(photo_ids: &[PhotoId], found: Vec<Photo>) -> Vec<Photo> {
    let mut by_id: std::collections::HashMap<PhotoId, Photo> =
        found.into_iter().map(|p| (p.photo_id, p)).collect();
    photo_ids.iter().filter_map(|id| by_id.remove(id)).collect()
}

/// Order of a photo listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PhotoSort {
    /// By `photo_id` ascending (upload order).
    #[default]
    Uploaded,
    /// By capture time ascending, photos without one last, ties by `photo_id`.
    Taken,
}

/// Filters and order of a photo listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PhotoQuery {
    /// Only photos in this status.
    pub status: Option<PhotoStatus>,
    /// Order.
    pub sort: PhotoSort,
}

/// A windowed counter (unlock attempts and the like).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    /// Count within the current window.
    pub count: u64,
    /// When the window ends (the counter is gone after it).
    pub expires_at: Timestamp,
}

/// Events, photos, access codes, users, counters and jobs.
#[async_trait]
pub trait Catalog: Send + Sync + std::fmt::Debug {
    // --- users -------------------------------------------------------------------------

    /// Creates a user. `Conflict` with code `username_taken` (another user's name, or one held
    /// for another user after a rename), `email_taken` or `user_exists`.
    async fn insert_user(&self, user: &User) -> Result<()>;
    /// One user by id; `NotFound` if absent.
    async fn get_user(&self, user_id: &UserId) -> Result<User>;
    /// One user by (lowercase) username: the user whose current name it is. `NotFound` if
    /// nobody has it, including a former name still held after a rename (see
    /// [`Catalog::find_username_hold`]).
    async fn find_user_by_username(&self, username: &str) -> Result<User>;
    /// Who a former username is held for, and until when, if a rename gave it up less than
    /// [`USERNAME_HOLD_SECS`](crate::domain::USERNAME_HOLD_SECS) ago; `None` for a name that is
    /// free or someone's current name. Lets a public route answer an old link
    /// (`/e/{old-name}/{slug}`) for the photographer who renamed (redirect, or 410) instead
    /// of a bare 404, and never with another photographer's gallery.
    async fn find_username_hold(&self, username: &str) -> Result<Option<UsernameHold>>;
    /// One user by (lowercase) e-mail; `NotFound` if absent.
    async fn find_user_by_email(&self, email: &str) -> Result<User>;
    /// Renames a user atomically; `Conflict` (`username_taken`) if another user has the name
    /// or it is held for another user. Renaming to the current name is a no-op.
    ///
    /// The name given up stays claimed for this user until now +
    /// [`USERNAME_HOLD_SECS`](crate::domain::USERNAME_HOLD_SECS) (30 days), so public links
    /// with the old name never open someone else's gallery meanwhile; the user may take it
    /// back at any time. After that it is free for anyone.
    async fn change_username(&self, user_id: &UserId, username: &str) -> Result<User>;

    // --- events ------------------------------------------------------------------------

    /// Creates an event and claims its public path (owner, slug). `Conflict` with code
    /// `slug_taken` if the owner has a live event or a tombstone with that slug.
    async fn insert_event(&self, event: &Event) -> Result<()>;
    /// One event; `NotFound` if absent, `Expired` if past `expires_at`.
    async fn get_event(&self, event_id: EventId) -> Result<Event>;
    /// One event whether live or expired (its row stays until the reaper deletes it), for
    /// checks that must come before expiry: ownership (another photographer's expired event
    /// is 404, not 410) and the expiry time an "expired" answer shows. `NotFound` if absent.
    async fn get_event_live_or_expired(&self, event_id: EventId) -> Result<Event>;
    /// The event at a public path, live or expired (its row stays until the reaper deletes
    /// it; the caller checks the expiry and can say when it was); `NotFound` if never
    /// claimed or freed; `Expired` ([`crate::domain::tombstone_expired`], saying when the
    /// event expired) if only its tombstone remains.
    async fn find_event_by_path(&self, owner_id: &UserId, slug: &str) -> Result<Event>;
    /// The owner's live events, newest first.
    async fn list_events_by_owner(
        &self,
        owner_id: &UserId,
        page: &PageRequest,
    ) -> Result<Page<Event>>;
    /// Replaces the mutable fields (`name`, `expires_at`, `cover_photo_id`, `watermark`)
    /// conditional on `version`. `slug`, `owner_id` and `photo_count` are not changed here.
    ///
    /// A changed `expires_at` is carried to the event's child rows: once this returns `Ok`,
    /// every photo, access code and job of the event that was live carries the new
    /// `expires_at`, so extending the event keeps them and shortening it (into the past, too)
    /// ends them with it. Children already expired stay gone; the children's `version`s and
    /// a code's `valid_until` are left alone.
    ///
    /// SQLite does this in the event's transaction. DynamoDB cannot: it writes the event row,
    /// then the children (paged, in parallel; children ended by an expiry already past are
    /// deleted rather than rewritten). Should that fail half-way, the error is
    /// returned (`Transient` for throttling or an unreachable service) with the event row
    /// already changed and some children not yet; the next `update_event` of the event,
    /// whatever it changes (e.g. the same PATCH repeated), finishes the job, because the
    /// event row records which expiry its children were last all brought to. (When the new
    /// expiry is already past there is no next update: the event answers `Expired`, and the
    /// reaper's `delete_event` removes what remains.)
    async fn update_event(&self, event: &Event) -> Result<Event>;
    /// Atomically adds `delta` to the photo counter unless the result would exceed `limit`
    /// (`TooLarge`, code `event_photo_limit`) or go below zero. Returns the new count.
    /// Leaves `version` alone, so uploads never make an edit of the event conflict.
    async fn add_photo_count(&self, event_id: EventId, delta: i64, limit: u64) -> Result<u64>;
    /// Deletes the event's row and every child row (photos, codes, jobs). With
    /// `tombstone_until`, its public path (`owner_id`, `slug`) stays claimed and answers
    /// `Expired` until then — also when the row itself is already gone (DynamoDB's TTL
    /// removed it; the reaper has the event from the stream) — unless another event holds
    /// the path now; without, the slug is free again. Deleting a missing event is not an
    /// error.
    async fn delete_event(&self, event: &Event, tombstone_until: Option<Timestamp>) -> Result<()>;
    /// Events whose `expires_at` has passed at `now` but whose rows remain (for the reaper).
    async fn list_expired_events(&self, now: Timestamp, page: &PageRequest) -> Result<Page<Event>>;

    // --- photos ------------------------------------------------------------------------

    /// Registers new photos (any number; adapters batch). `Conflict` if a `photo_id` exists.
    /// Each is stored with its event's current expiry ([`child_expiry`]).
    async fn insert_photos(&self, photos: &[Photo]) -> Result<()>;
    /// One photo; `NotFound` if absent or expired.
    async fn get_photo(&self, event_id: EventId, photo_id: PhotoId) -> Result<Photo>;
    /// The event's photos with these ids, in the order of `photo_ids`, in one batched read.
    /// Ids of absent or expired photos (or of another event's) are skipped; an id given
    /// twice is returned once, at its first place. More than [`MAX_GET_PHOTOS`] ids is
    /// `Invalid` (`too_many_photo_ids`).
    async fn get_photos(&self, event_id: EventId, photo_ids: &[PhotoId]) -> Result<Vec<Photo>>;
    /// The event's photos having any of these SHA-256 digests (lowercase hex).
    async fn find_photos_by_sha256(
        &self,
        event_id: EventId,
        sha256: &[String],
    ) -> Result<Vec<Photo>>;
    /// A page of the event's photos.
    async fn list_photos(
        &self,
        event_id: EventId,
        query: &PhotoQuery,
        page: &PageRequest,
    ) -> Result<Page<Photo>>;
    /// Replaces a photo conditional on `version`; `NotFound` if it is gone. Its `expires_at`
    /// stays the stored one (the event's).
    async fn update_photo(&self, photo: &Photo) -> Result<Photo>;
    /// Deletes a live photo row and gives its place back to the event's photo counter
    /// (`photo_count` − 1), as one atomic step. Returns whether this call deleted it:
    /// `false`, changing nothing, when the photo was already gone (absent or expired), so of
    /// concurrent deletes of one photo (a DELETE racing an abort of its upload) exactly one
    /// decrements the counter. Callers must not decrement it themselves.
    ///
    /// A counter already at zero, or an event row that is gone, does not stop the delete: the
    /// row goes and the counter stays as it is.
    async fn delete_photo(&self, event_id: EventId, photo_id: PhotoId) -> Result<bool>;

    // --- access codes ------------------------------------------------------------------

    /// Creates a code. `Conflict` (`code_exists`) if the event already has that `code_key`.
    /// Stored with its event's current expiry ([`child_expiry`]).
    async fn insert_code(&self, code: &AccessCode) -> Result<()>;
    /// One code by its lookup key; `NotFound` if absent or its row expired. Revoked and
    /// past-`valid_until` codes are returned (the caller says 410).
    async fn get_code(&self, event_id: EventId, code_key: &str) -> Result<AccessCode>;
    /// The event's codes (revoked ones included), oldest first.
    async fn list_codes(&self, event_id: EventId, page: &PageRequest) -> Result<Page<AccessCode>>;
    /// Replaces a code conditional on `version`. Its `expires_at` stays the stored one (the
    /// event's); `valid_until` is the caller's.
    async fn update_code(&self, code: &AccessCode) -> Result<AccessCode>;

    // --- counters ----------------------------------------------------------------------

    /// Adds one to the counter `key`. An absent or expired counter starts a new window that
    /// ends at `window_ends`; a live one keeps its window.
    async fn increment_counter(&self, key: &str, window_ends: Timestamp) -> Result<Counter>;
    /// The live count of `key` (0 when absent or expired).
    async fn get_counter(&self, key: &str) -> Result<u64>;

    // --- jobs --------------------------------------------------------------------------

    /// Creates a job. `Conflict` if its id exists. Stored with its event's current expiry
    /// ([`child_expiry`]).
    async fn insert_job(&self, job: &Job) -> Result<()>;
    /// One job; `NotFound` if absent or expired.
    async fn get_job(&self, event_id: EventId, job_id: JobId) -> Result<Job>;
    /// Replaces a job conditional on `version`. Its `expires_at` stays the stored one (the
    /// event's).
    async fn update_job(&self, job: &Job) -> Result<Job>;
}
