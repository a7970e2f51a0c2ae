//! Processing under the failures a photographer can cause or race: a photo that crashes
//! the pipeline every time, an original larger than the pipeline takes, and a photo deleted
//! while it is being processed or rendered.

use std::sync::Arc;
use std::sync::mpsc;

use shared::domain::{PageRequest, Photo, PhotoStatus, keys};
use shared::error::Result;
use shared::pipeline::DeriveSpec;
use shared::ports::{Blobs, Catalog};
use shared::processing::deps::MAX_ATTEMPTS;
use shared::processing::queue_messages::handle_batch;
use shared::processing::{
    DerivedPhoto, EncodedVariant, Outcome, PhotoDeriver, PipelineDeriver, WatermarkInput,
    process_original, render_and_store,
};

mod support;
use support::*;

/// A photo whose every processing attempt panics inside the pipeline.
#[derive(Debug)]
struct PanickingDeriver;

impl PhotoDeriver for PanickingDeriver {
    fn derive(&self, _: &[u8], _: Option<&WatermarkInput>) -> Result<DerivedPhoto> {
        panic!("a decoder bug this photo triggers every time");
    }
    fn render(
        &self,
        _: &[u8],
        _: &DeriveSpec,
        _: Option<&WatermarkInput>,
    ) -> Result<EncodedVariant> {
        panic!("a decoder bug this photo triggers every time");
    }
}

/// The real pipeline, paused in the middle of its work until the test lets it go on.
#[derive(Debug)]
struct PausingDeriver {
    inner: PipelineDeriver,
    started: std::sync::Mutex<mpsc::Sender<()>>,
    go_on: std::sync::Mutex<mpsc::Receiver<()>>,
}

impl PausingDeriver {
    fn new() -> (Arc<Self>, mpsc::Receiver<()>, mpsc::Sender<()>) {
        let (started_tx, started_rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel();
        let deriver = Arc::new(Self {
            inner: PipelineDeriver::default(),
            started: std::sync::Mutex::new(started_tx),
            go_on: std::sync::Mutex::new(go_rx),
        });
        (deriver, started_rx, go_tx)
    }

    fn pause(&self) {
        self.started
            .lock()
            .expect("lock")
            .send(())
            .expect("test listens");
        self.go_on
            .lock()
            .expect("lock")
            .recv()
            .expect("test lets go");
    }
}

impl PhotoDeriver for PausingDeriver {
    fn derive(&self, original: &[u8], w: Option<&WatermarkInput>) -> Result<DerivedPhoto> {
        let derived = self.inner.derive(original, w);
        self.pause();
        derived
    }
    fn render(
        &self,
        original: &[u8],
        spec: &DeriveSpec,
        w: Option<&WatermarkInput>,
    ) -> Result<EncodedVariant> {
        let rendered = self.inner.render(original, spec, w);
        self.pause();
        rendered
    }
}

/// Waits (off the runtime) for the deriver to reach its pause.
async fn reached(started: mpsc::Receiver<()>) -> mpsc::Receiver<()> {
    tokio::task::spawn_blocking(move || {
        started.recv().expect("the deriver started");
        started
    })
    .await
    .expect("join")
}

/// What the photographer's delete does: objects, then the row (`services::photos::delete`).
async fn delete_photo_as_the_api_does(world: &World, photo: &Photo) {
    let original = keys::original(&photo.owner_id, photo.event_id, photo.photo_id);
    let derived = keys::derived_prefix(&photo.owner_id, photo.event_id, photo.photo_id);
    world
        .blobs
        .delete(&original)
        .await
        .expect("delete original");
    world
        .blobs
        .delete_prefix(&derived)
        .await
        .expect("delete derived");
    world
        .catalog
        .delete_photo(photo.event_id, photo.photo_id)
        .await
        .expect("delete row");
}

/// Every object left under the photo's original and derived keys.
async fn objects_of(world: &World, photo: &Photo) -> Vec<String> {
    let mut keys_left = Vec::new();
    for prefix in [
        keys::original(&photo.owner_id, photo.event_id, photo.photo_id),
        keys::derived_prefix(&photo.owner_id, photo.event_id, photo.photo_id),
    ] {
        let page = world
            .blobs
            .list(&prefix, &PageRequest::first(100))
            .await
            .expect("list");
        keys_left.extend(page.items.into_iter().map(|o| o.key));
    }
    keys_left
}

#[tokio::test]
async fn a_photo_that_crashes_the_pipeline_every_time_is_failed_after_its_attempts_not_dead_lettered()
 {
    let mut world = world_with(|b| b);
    world.deps.deriver = Arc::new(PanickingDeriver);
    let (photo, key) = uploaded(&world, png(16, 16)).await;
    let event = sqs_event_for(&key);
    for attempt in 1..=MAX_ATTEMPTS {
        let response = handle_batch(&world.deps, event.clone()).await;
        assert_eq!(
            response.batch_item_failures.len(),
            1,
            "attempt {attempt} is retried"
        );
        let now = photo_now(&world, &photo).await;
        assert_eq!(
            now.status,
            PhotoStatus::Pending,
            "attempt {attempt}: given back"
        );
        assert_eq!(now.attempts, attempt);
    }
    let response = handle_batch(&world.deps, event.clone()).await;
    assert!(
        response.batch_item_failures.is_empty(),
        "recorded as failed, the message is done with"
    );
    let failed = photo_now(&world, &photo).await;
    assert_eq!(failed.status, PhotoStatus::Failed);
    assert_eq!(
        failed.failure.as_ref().map(|f| f.code.as_str()),
        Some("processing_failed_repeatedly")
    );
    // Later deliveries find it done.
    let outcome = process_original(&world.deps, &key).await.expect("handled");
    assert_eq!(outcome, Outcome::AlreadyDone(PhotoStatus::Failed));
}

#[tokio::test]
async fn an_original_over_the_processing_limit_fails_before_it_is_read() {
    let mut world = world_with(|b| b);
    let bytes = png(64, 64);
    world.deps.max_original_bytes = bytes.len() as u64 - 1;
    let (photo, key) = uploaded(&world, bytes).await;
    let outcome = process_original(&world.deps, &key).await.expect("handled");
    assert_eq!(outcome, Outcome::Failed("file_too_large".to_owned()));
    assert_eq!(photo_now(&world, &photo).await.status, PhotoStatus::Failed);
}

#[tokio::test]
async fn a_photo_deleted_while_it_is_processed_leaves_nothing_behind() {
    let mut world = world_with(|b| b);
    let (deriver, started, go_on) = PausingDeriver::new();
    world.deps.deriver = deriver;
    let (photo, key) = uploaded(&world, png(32, 24)).await;

    let deps = world.deps.clone();
    let processing = tokio::spawn(async move { process_original(&deps, &key).await });
    let _started = reached(started).await;
    // The delete runs while the pipeline works: it clears the prefixes before the
    // derivatives are written.
    delete_photo_as_the_api_does(&world, &photo).await;
    go_on.send(()).expect("let the deriver go on");
    let outcome = processing.await.expect("join").expect("handled");
    assert!(matches!(outcome, Outcome::Discarded(_)), "{outcome:?}");
    let left = objects_of(&world, &photo).await;
    assert!(left.is_empty(), "orphaned objects: {left:?}");
}

#[tokio::test]
async fn a_photo_deleted_while_a_custom_derivative_renders_leaves_nothing_behind() {
    let world = world_with(|b| b);
    let event = new_event(&world).await;
    let (photo, key) = uploaded_into(&world, &event, png(32, 24)).await;
    assert_eq!(
        process_original(&world.deps, &key)
            .await
            .expect("processed"),
        Outcome::Ready
    );
    let photo = photo_now(&world, &photo).await;
    let (deriver, started, go_on) = PausingDeriver::new();
    let deriver: Arc<dyn PhotoDeriver> = deriver;
    let spec: DeriveSpec = serde_json::from_str(r#"{"format": "png"}"#).expect("spec");

    let catalog: Arc<dyn Catalog> = world.catalog.clone();
    let blobs: Arc<dyn Blobs> = world.blobs.clone();
    let (rendered_photo, rendered_event) = (photo.clone(), event.clone());
    let rendering = tokio::spawn(async move {
        render_and_store(
            catalog.as_ref(),
            &blobs,
            &deriver,
            shared::domain::MAX_ORIGINAL_BYTES,
            &rendered_event,
            &rendered_photo,
            &spec,
        )
        .await
    });
    let _started = reached(started).await;
    delete_photo_as_the_api_does(&world, &photo).await;
    go_on.send(()).expect("let the deriver go on");
    let err = rendering
        .await
        .expect("join")
        .expect_err("the photo is gone");
    assert!(err.is_not_found(), "{err:?}");
    let left = objects_of(&world, &photo).await;
    assert!(left.is_empty(), "orphaned objects: {left:?}");
}
