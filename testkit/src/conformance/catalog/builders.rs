//! Row builders the catalog cases share: unique names, times relative to now, and fresh
//! users, events, photos, codes and jobs.
//!
//! Every row gets a unique suffix, so cases never collide in a shared store, and times are
//! explicit `expires_at` values in the past or future instead of sleeps.

use shared::domain::{
    AccessCode, Event, EventId, Grant, Job, JobId, JobKind, JobState, Photo, PhotoId,
    PhotoMetadata, PhotoStatus, Timestamp, UploadKind, User, UserId,
};
use shared::ports::Catalog;

pub(super) const HOUR: i64 = 3_600;
pub(super) const DAY: i64 = 86_400;

/// A suffix unique across cases and processes, so rows never collide in a shared store.
pub(super) fn unique() -> String {
    ulid::Ulid::generate().to_string().to_ascii_lowercase()
}

pub(super) fn now() -> Timestamp {
    Timestamp::now()
}

pub(super) fn future() -> Timestamp {
    now().plus_secs(30 * DAY)
}

pub(super) fn past() -> Timestamp {
    now().plus_secs(-HOUR)
}

pub(super) fn new_user() -> User {
    let u = unique();
    User {
        user_id: UserId::parse(&format!("sub-{u}")).expect("valid user id"),
        username: format!("u{u}"),
        email: format!("{u}@example.com"),
        created_at: now(),
        password_hash: None,
    }
}

pub(super) fn owner() -> UserId {
    UserId::parse(&format!("owner-{}", unique())).expect("valid user id")
}

pub(super) fn new_event(
    owner: &UserId,
    slug: &str,
    created_at: Timestamp,
    expires_at: Timestamp,
) -> Event {
    Event {
        event_id: EventId::generate(),
        owner_id: owner.clone(),
        name: format!("Event {slug}"),
        slug: slug.to_owned(),
        created_at,
        expires_at,
        cover_photo_id: None,
        watermark: None,
        photo_count: 0,
        version: 1,
    }
}

pub(super) fn live_event(owner: &UserId) -> Event {
    new_event(owner, &format!("e-{}", unique()), now(), future())
}

pub(super) fn sha_of(n: usize) -> String {
    format!("{n:064x}")
}

/// A pending photo of `event` (row builder, also used by adapter-specific tests).
pub fn new_photo(event: &Event, n: usize) -> Photo {
    Photo {
        event_id: event.event_id,
        photo_id: PhotoId::generate(),
        owner_id: event.owner_id.clone(),
        filename: format!("IMG_{n:04}.JPG"),
        content_type: "image/jpeg".to_owned(),
        bytes: 1_000 + n as u64,
        sha256: sha_of(n),
        status: PhotoStatus::Pending,
        failure: None,
        metadata: None,
        upload: UploadKind::Single,
        created_at: now(),
        processing_until: None,
        attempts: 0,
        expires_at: event.expires_at,
        version: 1,
    }
}

/// `count` pending photos of `event`, in upload (photo id) order. Ids made within one
/// millisecond are not ordered by creation, so the expectation sorts them.
pub fn photos_of(event: &Event, count: usize) -> Vec<Photo> {
    by_id((0..count).map(|n| new_photo(event, n)).collect())
}

pub(super) fn by_id(mut photos: Vec<Photo>) -> Vec<Photo> {
    photos.sort_by_key(|p| p.photo_id);
    photos
}

pub(super) fn with_taken(mut photo: Photo, taken_at: Option<Timestamp>) -> Photo {
    photo.status = PhotoStatus::Ready;
    photo.metadata = Some(PhotoMetadata {
        width: 4000,
        height: 3000,
        orientation: 1,
        taken_at,
        camera: Some("Canon EOS R5".to_owned()),
        format: "jpeg".to_owned(),
        variants: vec!["thumb".to_owned(), "web".to_owned()],
        crc32: Some(0xCBF4_3926),
    });
    photo
}

pub(super) fn new_code(event: &Event, n: usize, created_at: Timestamp) -> AccessCode {
    AccessCode {
        event_id: event.event_id,
        code_key: format!("{:064x}", n + 0xC0DE),
        sealed_code: format!("sealed-{n}"),
        label: format!("Guest {n}"),
        grant: Grant::All,
        created_at,
        valid_until: None,
        revoked_at: None,
        expires_at: event.expires_at,
        version: 1,
    }
}

pub(super) fn new_job(event: &Event) -> Job {
    Job {
        event_id: event.event_id,
        job_id: JobId::generate(),
        kind: JobKind::Archive,
        state: JobState::Queued,
        total: 2,
        done: 0,
        failed: 0,
        items: Vec::new(),
        request: serde_json::json!({"photo_ids": ["a", "b"]}),
        result_key: None,
        created_at: now(),
        expires_at: event.expires_at,
        version: 1,
        archive: None,
    }
}

pub(super) async fn insert_event(catalog: &dyn Catalog, event: &Event) {
    catalog.insert_event(event).await.expect("insert event");
}

pub(super) async fn insert_live_event(catalog: &dyn Catalog) -> Event {
    let event = live_event(&owner());
    insert_event(catalog, &event).await;
    event
}
