//! Shared set-up of the process tests: real SqliteCatalog and FsBlobs in a temporary
//! directory, the real pipeline, photos uploaded into them, sample events pointing at them.

#![allow(dead_code)]

use aws_lambda_events::event::sqs::SqsEvent;
use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

use shared::adapters::{FsBlobs, MemoryQueue, SqliteCatalog};
use shared::domain::{
    Event, EventId, Photo, PhotoId, PhotoStatus, Timestamp, UploadKind, UserId, keys,
};
use shared::ports::{Blobs, Catalog};
use shared::processing::{PipelineDeriver, ProcessDeps};

pub const OBJECT_CREATED: &str = include_str!("../../../../events/process/object_created.json");

/// The processor's deps over real local adapters in a temporary directory.
pub struct World {
    pub deps: ProcessDeps,
    pub catalog: Arc<SqliteCatalog>,
    pub blobs: Arc<dyn Blobs>,
    _dir: tempfile::TempDir,
}

/// A world whose blob store is `wrap`ped (fault injection).
pub fn world_with(wrap: impl FnOnce(Arc<dyn Blobs>) -> Arc<dyn Blobs>) -> World {
    let dir = tempfile::tempdir().expect("temp dir");
    let catalog =
        Arc::new(SqliteCatalog::open(dir.path().join("catalog.sqlite3")).expect("sqlite"));
    let fs: Arc<dyn Blobs> = Arc::new(
        FsBlobs::open(
            dir.path().join("blobs"),
            "http://127.0.0.1:9/blobs",
            &[7u8; 32],
        )
        .expect("fs blobs"),
    );
    let blobs = wrap(fs);
    let deps = ProcessDeps {
        catalog: catalog.clone(),
        blobs: blobs.clone(),
        deriver: Arc::new(PipelineDeriver::default()),
        lease_secs: 120,
        max_original_bytes: shared::domain::MAX_ORIGINAL_BYTES,
        process_queue: Arc::new(MemoryQueue::new(Duration::from_secs(30), 5)),
    };
    World {
        deps,
        catalog,
        blobs,
        _dir: dir,
    }
}

/// A small PNG with a gradient.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 4) as u8, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

/// An event with one pending photo whose original (`bytes`) is in storage; returns its key.
pub async fn uploaded(world: &World, bytes: Vec<u8>) -> (Photo, String) {
    let event = new_event(world).await;
    uploaded_into(world, &event, bytes).await
}

/// A live event of one owner.
pub async fn new_event(world: &World) -> Event {
    let owner = UserId::parse("8f0c2a6e-1b2c-4d5e-9f00-123456789abc").expect("owner");
    let now = Timestamp::now();
    let event = Event {
        event_id: EventId::generate(),
        owner_id: owner,
        name: "Wedding".into(),
        slug: format!("wedding-{}", EventId::generate().to_string().to_lowercase()),
        created_at: now,
        expires_at: now.plus_secs(86_400),
        cover_photo_id: None,
        watermark: None,
        photo_count: 0,
        version: 0,
    };
    world.catalog.insert_event(&event).await.expect("event");
    event
}

/// A pending photo of `event` whose original (`bytes`) is in storage; returns its key.
pub async fn uploaded_into(world: &World, event: &Event, bytes: Vec<u8>) -> (Photo, String) {
    let owner = event.owner_id.clone();
    let photo = Photo {
        event_id: event.event_id,
        photo_id: PhotoId::generate(),
        owner_id: owner.clone(),
        filename: "IMG_0001.png".into(),
        content_type: "image/png".into(),
        bytes: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(&bytes)),
        status: PhotoStatus::Pending,
        failure: None,
        metadata: None,
        upload: UploadKind::Single,
        created_at: Timestamp::now(),
        processing_until: None,
        attempts: 0,
        expires_at: event.expires_at,
        version: 0,
    };
    world
        .catalog
        .insert_photos(std::slice::from_ref(&photo))
        .await
        .expect("photo");
    let key = keys::original(&owner, event.event_id, photo.photo_id);
    world
        .blobs
        .put(&key, Bytes::from(bytes), "image/png")
        .await
        .expect("original");
    (photo, key)
}

/// The sample ObjectCreated event, pointing at `key` (form-encoded as S3 does).
pub fn sqs_event_for(key: &str) -> SqsEvent {
    let mut event: serde_json::Value = serde_json::from_str(OBJECT_CREATED).expect("sample event");
    let body: serde_json::Value =
        serde_json::from_str(event["Records"][0]["body"].as_str().expect("body"))
            .expect("body json");
    let mut body = body;
    body["Records"][0]["s3"]["object"]["key"] = serde_json::Value::String(key.replace(' ', "+"));
    event["Records"][0]["body"] = serde_json::Value::String(body.to_string());
    serde_json::from_value(event).expect("SQS event")
}

/// The body of the first record.
pub fn body_of(event: &SqsEvent) -> String {
    event.records[0].body.clone().expect("body")
}

/// The photo's row as stored now.
pub async fn photo_now(world: &World, photo: &Photo) -> Photo {
    world
        .catalog
        .get_photo(photo.event_id, photo.photo_id)
        .await
        .expect("photo row")
}
