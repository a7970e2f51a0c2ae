//! The `process` handler over real adapters (SqliteCatalog, FsBlobs) and the real pipeline,
//! driven by the sample events in `events/process/`.

use aws_lambda_events::event::sqs::SqsEvent;
use bytes::Bytes;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use shared::domain::{JobState, PhotoStatus, keys};
use shared::error::Error;
use shared::ports::{Blobs, Catalog};
use shared::processing::queue_messages::{handle_batch, handle_message};
use shared::processing::{DerivativeJobRequest, Outcome};
use testkit::faulty_blobs::{BlobCall, Fault, faulty_blobs};

mod support;
use support::*;

const TEST_EVENT: &str = include_str!("../../../events/process/s3_test_event.json");
const DERIVATIVE_JOB: &str = include_str!("../../../events/process/derivative_job.json");
const KEY_WITH_SPACES: &str =
    include_str!("../../../events/process/key_with_spaces_and_unicode.json");

#[tokio::test]
async fn created_notification_makes_the_photo_ready_with_both_variants() {
    let world = world_with(|b| b);
    let (photo, key) = uploaded(&world, png(64, 48)).await;
    let response = handle_batch(&world.deps, sqs_event_for(&key)).await;
    assert!(response.batch_item_failures.is_empty());
    let ready = photo_now(&world, &photo).await;
    assert_eq!(ready.status, PhotoStatus::Ready);
    let meta = ready.metadata.expect("metadata recorded");
    assert_eq!(
        (meta.width, meta.height, meta.format.as_str()),
        (64, 48, "png")
    );
    for variant in ["thumb", "web"] {
        let derived = keys::derived(&photo.owner_id, photo.event_id, photo.photo_id, variant);
        let bytes = world.blobs.get(&derived).await.expect("variant stored");
        assert_eq!(&bytes[..3], &[0xFF, 0xD8, 0xFF], "{variant} is a JPEG");
    }
}

#[tokio::test]
async fn duplicate_delivery_yields_one_ready_row() {
    let world = world_with(|b| b);
    let (photo, key) = uploaded(&world, png(32, 32)).await;
    let body = body_of(&sqs_event_for(&key));
    assert_eq!(
        handle_message(&world.deps, &body).await.expect("first"),
        [Outcome::Ready]
    );
    let after_first = photo_now(&world, &photo).await;
    assert_eq!(
        handle_message(&world.deps, &body).await.expect("second"),
        [Outcome::AlreadyDone(PhotoStatus::Ready)]
    );
    let after_second = photo_now(&world, &photo).await;
    assert_eq!(
        after_second, after_first,
        "a duplicate must not touch the row"
    );
    assert_eq!(after_second.attempts, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deliveries_yield_one_result() {
    let world = world_with(|b| b);
    let (photo, key) = uploaded(&world, png(48, 48)).await;
    let body = body_of(&sqs_event_for(&key));
    let (a, b) = tokio::join!(
        handle_message(&world.deps, &body),
        handle_message(&world.deps, &body)
    );
    let readies = [&a, &b]
        .iter()
        .filter(|r| matches!(r, Ok(o) if o == &[Outcome::Ready]))
        .count();
    assert_eq!(readies, 1, "exactly one delivery derives: {a:?} {b:?}");
    for r in [&a, &b] {
        // The loser either found it done or was told to come back later (retryable).
        assert!(matches!(r, Ok(_) | Err(Error::Transient { .. })), "{r:?}");
    }
    let row = photo_now(&world, &photo).await;
    assert_eq!((row.status, row.attempts), (PhotoStatus::Ready, 1));
}

#[tokio::test]
async fn notification_for_a_deleted_photo_is_dropped() {
    let world = world_with(|b| b);
    let (photo, key) = uploaded(&world, png(16, 16)).await;
    world
        .catalog
        .delete_photo(photo.event_id, photo.photo_id)
        .await
        .expect("delete");
    let outcomes = handle_message(&world.deps, &body_of(&sqs_event_for(&key)))
        .await
        .expect("dropped, not failed");
    assert_eq!(outcomes, [Outcome::Discarded("photo deleted or expired")]);
    let derived = keys::derived(&photo.owner_id, photo.event_id, photo.photo_id, "thumb");
    assert!(
        world
            .blobs
            .get(&derived)
            .await
            .expect_err("nothing derived")
            .is_not_found()
    );
    // The upload landed after its photo was deleted: the original must not be orphaned.
    assert!(
        world
            .blobs
            .get(&key)
            .await
            .expect_err("original deleted")
            .is_not_found()
    );
}

#[tokio::test]
async fn upload_landing_after_its_event_was_deleted_is_deleted_with_its_derivatives() {
    let world = world_with(|b| b);
    let (photo, key) = uploaded(&world, png(16, 16)).await;
    // A derivative left by an earlier attempt, under the photo's prefix.
    let stale = keys::derived(&photo.owner_id, photo.event_id, photo.photo_id, "web");
    world
        .blobs
        .put(&stale, Bytes::from_static(b"old"), "image/jpeg")
        .await
        .expect("stale derivative");
    let event = world
        .catalog
        .get_event_live_or_expired(photo.event_id)
        .await
        .expect("the event");
    world
        .catalog
        .delete_event(&event, None)
        .await
        .expect("delete event");
    let outcomes = handle_message(&world.deps, &body_of(&sqs_event_for(&key)))
        .await
        .expect("dropped, not failed");
    assert_eq!(outcomes.len(), 1);
    assert!(matches!(outcomes[0], Outcome::Discarded(_)), "{outcomes:?}");
    for gone in [&key, &stale] {
        assert!(
            world
                .blobs
                .get(gone)
                .await
                .expect_err("deleted")
                .is_not_found(),
            "{gone} should be gone"
        );
    }
}

#[tokio::test]
async fn not_an_image_fails_permanently_and_is_not_retried() {
    let world = world_with(|b| b);
    let (photo, key) = uploaded(&world, b"<!doctype html><script>alert(1)</script>".to_vec()).await;
    let response = handle_batch(&world.deps, sqs_event_for(&key)).await;
    assert!(
        response.batch_item_failures.is_empty(),
        "a permanent failure is not retried"
    );
    let row = photo_now(&world, &photo).await;
    assert_eq!(row.status, PhotoStatus::Failed);
    assert_eq!(row.failure.expect("reason").code, "not_an_image");
}

#[tokio::test]
async fn bytes_that_do_not_match_the_declared_sha256_fail_the_photo() {
    let world = world_with(|b| b);
    let (photo, key) = uploaded(&world, png(16, 16)).await;
    world
        .blobs
        .put(&key, Bytes::from(png(17, 16)), "image/png")
        .await
        .expect("swap bytes");
    handle_batch(&world.deps, sqs_event_for(&key)).await;
    let row = photo_now(&world, &photo).await;
    assert_eq!(
        (row.status, row.failure.expect("reason").code.as_str()),
        (PhotoStatus::Failed, "checksum_mismatch")
    );
}

#[tokio::test]
async fn s3_test_event_and_keys_outside_originals_are_skipped() {
    let world = world_with(|b| b);
    for sample in [TEST_EVENT, KEY_WITH_SPACES] {
        let event: SqsEvent = serde_json::from_str(sample).expect("sample event");
        let outcomes = handle_message(&world.deps, &body_of(&event))
            .await
            .expect("skipped");
        assert!(
            outcomes.iter().all(|o| matches!(o, Outcome::Ignored(_))),
            "{outcomes:?}"
        );
        assert!(
            handle_batch(&world.deps, event)
                .await
                .batch_item_failures
                .is_empty()
        );
    }
}

#[tokio::test]
async fn garbage_message_is_dropped_not_retried() {
    let world = world_with(|b| b);
    let mut event = sqs_event_for("originals/x");
    event.records[0].body = Some("{not json".into());
    assert!(
        handle_batch(&world.deps, event)
            .await
            .batch_item_failures
            .is_empty()
    );
}

/// Reads that, after `pass_reads` good ones, fail transiently `fail_reads` times (fault
/// injection through `faulty_blobs`). `reads` counts every read asked for.
#[derive(Debug, Default)]
struct ReadFaults {
    pass_reads: AtomicU32,
    fail_reads: AtomicU32,
    reads: AtomicU32,
}

impl ReadFaults {
    fn failing(fail_reads: u32) -> Arc<Self> {
        Arc::new(Self {
            fail_reads: AtomicU32::new(fail_reads),
            ..Self::default()
        })
    }

    fn fault(&self, call: BlobCall) -> Option<Fault> {
        if call != BlobCall::Get {
            return None;
        }
        self.reads.fetch_add(1, Ordering::SeqCst);
        let passes = self
            .pass_reads
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        let fails = !passes
            && self
                .fail_reads
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
        fails.then_some(Fault::Before)
    }

    /// `inner` with these faults.
    fn around(self: &Arc<Self>, inner: Arc<dyn Blobs>) -> Arc<dyn Blobs> {
        let faults = Arc::clone(self);
        Arc::new(faulty_blobs(inner, move |call| faults.fault(call)))
    }
}

#[tokio::test]
async fn transient_storage_failure_is_retried_then_succeeds() {
    let faults = ReadFaults::failing(1);
    let world = world_with(|inner| faults.around(inner));
    let (photo, key) = uploaded(&world, png(20, 20)).await;
    let first = handle_batch(&world.deps, sqs_event_for(&key)).await;
    assert_eq!(
        first.batch_item_failures.len(),
        1,
        "a transient failure goes back to the queue"
    );
    assert_eq!(
        photo_now(&world, &photo).await.status,
        PhotoStatus::Pending,
        "the claim is given back"
    );
    let second = handle_batch(&world.deps, sqs_event_for(&key)).await;
    assert!(second.batch_item_failures.is_empty());
    assert_eq!(photo_now(&world, &photo).await.status, PhotoStatus::Ready);
}

#[tokio::test]
async fn derivative_job_resumes_after_a_transient_failure_without_redoing_finished_items() {
    let flaky = ReadFaults::failing(0);
    let world = world_with(|inner| flaky.around(inner));
    let event = new_event(&world).await;
    let mut photo_ids = Vec::new();
    for size in [(64, 48), (48, 64)] {
        let (photo, key) = uploaded_into(&world, &event, png(size.0, size.1)).await;
        assert!(
            handle_batch(&world.deps, sqs_event_for(&key))
                .await
                .batch_item_failures
                .is_empty()
        );
        photo_ids.push(photo.photo_id);
    }
    let spec: shared::pipeline::DeriveSpec = serde_json::from_str(
        r#"{"resize": {"width": 16, "height": 16, "fit": "cover"}, "format": "png"}"#,
    )
    .expect("spec");
    let job = DerivativeJobRequest {
        spec,
        photo_ids: photo_ids.clone(),
    }
    .into_job(&event)
    .expect("job row");
    world.catalog.insert_job(&job).await.expect("job row");
    // The sample event, pointed at this job.
    let mut sample: SqsEvent = serde_json::from_str(DERIVATIVE_JOB).expect("sample event");
    let body = serde_json::json!({"kind": "derivatives", "event_id": event.event_id, "job_id": job.job_id});
    sample.records[0].body = Some(body.to_string());
    let delivery = || sample.clone();

    // First delivery: the first item is made, reading the second original fails.
    flaky.pass_reads.store(1, Ordering::SeqCst);
    flaky.fail_reads.store(1, Ordering::SeqCst);
    let first = handle_batch(&world.deps, delivery()).await;
    assert_eq!(first.batch_item_failures.len(), 1, "back to the queue");
    let row = world
        .catalog
        .get_job(event.event_id, job.job_id)
        .await
        .expect("job");
    assert_eq!((row.state, row.done, row.failed), (JobState::Running, 1, 0));
    let first_key = row.items[0].key.clone().expect("first item made");
    assert!(row.items[1].key.is_none() && row.items[1].error.is_none());

    // Redelivery: only the second original is read again.
    flaky.reads.store(0, Ordering::SeqCst);
    let second = handle_batch(&world.deps, delivery()).await;
    assert!(second.batch_item_failures.is_empty());
    assert_eq!(
        flaky.reads.load(Ordering::SeqCst),
        1,
        "the finished item is not redone"
    );
    let row = world
        .catalog
        .get_job(event.event_id, job.job_id)
        .await
        .expect("job");
    assert_eq!((row.state, row.done, row.failed), (JobState::Done, 2, 0));
    assert_eq!(row.items[0].key.as_deref(), Some(first_key.as_str()));
    for item in &row.items {
        let key = item.key.as_deref().expect("made");
        let bytes = world.blobs.get(key).await.expect("stored");
        let img = image::load_from_memory(&bytes).expect("decodes");
        assert_eq!((img.width(), img.height()), (16, 16));
    }

    // A duplicate of the finished job reads nothing and changes nothing.
    flaky.reads.store(0, Ordering::SeqCst);
    let third = handle_batch(&world.deps, delivery()).await;
    assert!(third.batch_item_failures.is_empty());
    assert_eq!(flaky.reads.load(Ordering::SeqCst), 0);
    let again = world
        .catalog
        .get_job(event.event_id, job.job_id)
        .await
        .expect("job");
    assert_eq!(again.version, row.version);
}
