//! Seeding for benchmarks: events made through the real handler, and many ready photos
//! written straight into the catalog (as `process` would leave them).

use serde_json::json;
use sha2::{Digest, Sha256};
use shared::domain::{
    Event, EventId, Photo, PhotoId, PhotoMetadata, PhotoStatus, Timestamp, UploadKind,
};
use shared::http::events_api;
use shared::services::Deps;
use tokio::runtime::Runtime;

use crate::api::{ApiRequest, Function, Photographer, split};

/// `insert_photos` batch size used to seed photos.
const SEED_CHUNK: usize = 500;

/// Like Lambda's `#[tokio::main]` on this 2-core machine: multi-threaded, blocking pool for
/// the SQLite calls.
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("build the tokio runtime")
}

/// `POST /api/events` through the events handler; returns the new event's id.
pub async fn create_event(deps: &Deps, who: &Photographer, slug: &str) -> EventId {
    let req = ApiRequest::sample(Function::Events, "create_event")
        .as_user(who)
        .json(json!({"name": format!("Bench {slug}"), "slug": slug, "ttl_seconds": 86_400}))
        .build();
    let (status, body) = split(shared::http::handle::<events_api::EventsApi>(deps, req).await);
    assert_eq!(status, 201, "create event: {body}");
    EventId::parse(body["event_id"].as_str().expect("event_id in the response"))
        .expect("a valid event id")
}

/// `count` ready photos (metadata, both variants) inserted straight into the catalog,
/// `SEED_CHUNK` per `insert_photos` call.
pub async fn seed_ready_photos(deps: &Deps, event_id: EventId, count: usize) {
    let event = deps
        .catalog
        .get_event(event_id)
        .await
        .expect("the event to seed");
    let now = Timestamp::now();
    let mut next = 0;
    while next < count {
        let end = (next + SEED_CHUNK).min(count);
        let photos: Vec<Photo> = (next..end).map(|i| ready_photo(&event, i, now)).collect();
        deps.catalog
            .insert_photos(&photos)
            .await
            .expect("seed a chunk of photos");
        next = end;
    }
}

pub fn ready_photo(event: &Event, i: usize, now: Timestamp) -> Photo {
    let n = i64::try_from(i).expect("photo number fits i64");
    Photo {
        event_id: event.event_id,
        photo_id: PhotoId::generate(),
        owner_id: event.owner_id.clone(),
        filename: format!("IMG_{i:06}.JPG"),
        content_type: "image/jpeg".to_owned(),
        bytes: 6_000_000 + (i as u64 % 1_000) * 4_096,
        sha256: hex::encode(Sha256::digest(format!("{} seed {i}", event.event_id))),
        status: PhotoStatus::Ready,
        failure: None,
        metadata: Some(PhotoMetadata {
            width: 6_000,
            height: 4_000,
            orientation: 1,
            taken_at: Some(Timestamp::from_epoch_secs(1_790_000_000 + n * 3)),
            camera: Some("Canon EOS R6".to_owned()),
            format: "jpeg".to_owned(),
            variants: vec!["thumb".to_owned(), "web".to_owned()],
            crc32: None,
        }),
        upload: UploadKind::Single,
        created_at: now,
        processing_until: None,
        attempts: 1,
        expires_at: event.expires_at,
        version: 3,
    }
}
