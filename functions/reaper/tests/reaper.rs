//! The reaper on both storage stacks: every byte and row of an expired event deleted, its
//! public path kept as a tombstone, nothing of a live event touched, a run stopped halfway
//! finished by the next; on AWS, from the stream of TTL removals (the row already gone)
//! and from the daily schedule.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use bytes::Bytes;
use serde_json::{Value, json};
use shared::Error;
use shared::adapters::SqliteCatalog;
use shared::adapters::dynamo_catalog::{DynamoCatalog, DynamoTables, event_expired_by_ttl};
use shared::adapters::fs_blobs::FsBlobs;
use shared::adapters::s3_blobs::{S3Blobs, S3BlobsConfig};
use shared::domain::{
    AccessCode, Event, EventId, Grant, Job, JobId, JobKind, JobState, PageRequest, Photo, PhotoId,
    PhotoStatus, Timestamp, UploadKind, UserId, keys,
};
use shared::ports::{Blobs, Catalog};
use shared::reaping::{ReaperDeps, handle_invocation, sweep};
use testkit::faulty_blobs::{BlobCall, Fault, faulty_blobs};

/// Keeps servers and directories alive for the test.
#[allow(dead_code)]
enum Keep {
    Local(tempfile::TempDir),
    Aws(Box<AwsKeep>),
}

/// The AWS emulators, and a raw DynamoDB client to play DynamoDB's TTL.
#[allow(dead_code)]
struct AwsKeep {
    moto: testkit::moto::MotoServer,
    s3: testkit::s3::S3Server,
    dynamo: aws_sdk_dynamodb::Client,
    tables: DynamoTables,
}

struct Stack {
    catalog: Arc<dyn Catalog>,
    blobs: Arc<dyn Blobs>,
    owner: UserId,
    keep: Keep,
}

impl Stack {
    async fn local() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let catalog = SqliteCatalog::open(dir.path().join("catalog.sqlite3")).expect("sqlite");
        let blobs = FsBlobs::open(dir.path().join("blobs"), "http://127.0.0.1:9", &[7u8; 32])
            .expect("fs blobs");
        Self::new(Arc::new(catalog), Arc::new(blobs), Keep::Local(dir))
    }

    async fn aws() -> Self {
        let moto = testkit::moto::MotoServer::start()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let sdk = testkit::aws::sdk_config(moto.endpoint_url()).await;
        let tables = DynamoTables::with_prefix("picpass-reaper-");
        let catalog = DynamoCatalog::from_sdk_config(&sdk, tables.clone());
        catalog.create_tables().await.expect("tables on moto");
        let s3 = testkit::s3::S3Server::start().await;
        let blobs = S3Blobs::new(
            &s3.sdk_config().await,
            S3BlobsConfig {
                bucket: s3.bucket().to_owned(),
                force_path_style: true,
            },
        )
        .await
        .expect("S3Blobs on s3s-fs");
        let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
        Self::new(
            Arc::new(catalog),
            Arc::new(blobs),
            Keep::Aws(Box::new(AwsKeep {
                moto,
                s3,
                dynamo,
                tables,
            })),
        )
    }

    fn new(catalog: Arc<dyn Catalog>, blobs: Arc<dyn Blobs>, keep: Keep) -> Self {
        Self {
            catalog,
            blobs,
            owner: UserId::parse("8f0c2a6e-1b2c-4d5e-9f00-123456789abc").expect("owner"),
            keep,
        }
    }

    fn deps(&self) -> ReaperDeps {
        ReaperDeps {
            catalog: Arc::clone(&self.catalog),
            blobs: Arc::clone(&self.blobs),
        }
    }

    /// An event expiring at `expires_at` with `photos` photos (originals and two derivatives
    /// each), a code, and an archive; returns it.
    async fn event(&self, expires_at: Timestamp, photos: usize) -> Event {
        let now = Timestamp::now();
        let event = Event {
            event_id: EventId::generate(),
            owner_id: self.owner.clone(),
            name: "Wedding".to_owned(),
            slug: format!("e-{}", EventId::generate().to_string().to_lowercase()),
            created_at: now.plus_secs(-86_400),
            expires_at,
            cover_photo_id: None,
            watermark: None,
            photo_count: 0,
            version: 0,
        };
        self.catalog.insert_event(&event).await.expect("event");
        let rows: Vec<Photo> = (0..photos).map(|i| photo_row(&event, i)).collect();
        self.catalog.insert_photos(&rows).await.expect("photos");
        for photo in &rows {
            let put = |key: String| async move {
                self.blobs
                    .put(&key, Bytes::from_static(b"bytes"), "image/jpeg")
                    .await
                    .expect("put");
            };
            put(keys::original(&self.owner, event.event_id, photo.photo_id)).await;
            for variant in ["thumb", "web"] {
                put(keys::derived(
                    &self.owner,
                    event.event_id,
                    photo.photo_id,
                    variant,
                ))
                .await;
            }
        }
        // An archive being built (its job row is what keeps it from the archive sweep).
        let job = Job {
            event_id: event.event_id,
            job_id: JobId::generate(),
            kind: JobKind::Archive,
            state: JobState::Running,
            total: 1,
            done: 0,
            failed: 0,
            items: Vec::new(),
            request: json!({}),
            result_key: None,
            created_at: now,
            expires_at: event.expires_at,
            version: 0,
            archive: None,
        };
        if !event.is_expired(now) {
            self.catalog.insert_job(&job).await.expect("job");
        }
        let archive = keys::archive(event.event_id, job.job_id);
        self.blobs
            .put(&archive, Bytes::from_static(b"PK"), "application/zip")
            .await
            .expect("archive");
        let code = AccessCode {
            event_id: event.event_id,
            code_key: format!("{:072x}", 7),
            sealed_code: "sealed".to_owned(),
            label: "All".to_owned(),
            grant: Grant::All,
            created_at: now,
            valid_until: None,
            revoked_at: None,
            expires_at: event.expires_at,
            version: 0,
        };
        self.catalog.insert_code(&code).await.expect("code");
        event
    }

    /// Every object key under the event's prefixes.
    async fn objects_of(&self, event: &Event) -> Vec<String> {
        let mut found = Vec::new();
        for prefix in keys::event_prefixes(&event.owner_id, event.event_id) {
            let listed = self
                .blobs
                .list(&prefix, &PageRequest::first(1000))
                .await
                .expect("list");
            found.extend(listed.items.into_iter().map(|o| o.key));
        }
        found
    }

    async fn assert_reaped(&self, event: &Event) {
        assert_eq!(self.objects_of(event).await, Vec::<String>::new());
        expect_not_found(self.catalog.get_event_live_or_expired(event.event_id).await);
        let photos = self
            .catalog
            .list_photos(
                event.event_id,
                &Default::default(),
                &PageRequest::first(100),
            )
            .await;
        match photos {
            Ok(page) => assert!(page.items.is_empty(), "photo rows remain"),
            Err(e) => assert!(
                e.is_not_found() || matches!(e, Error::Expired { .. }),
                "{e}"
            ),
        }
        // The old link still says "expired", not "not found".
        match self
            .catalog
            .find_event_by_path(&event.owner_id, &event.slug)
            .await
        {
            Err(Error::Expired { .. }) => {}
            other => panic!("the path should be a tombstone: {other:?}"),
        }
    }

    async fn assert_untouched(&self, event: &Event, photos: usize) {
        assert_eq!(self.objects_of(event).await.len(), photos * 3 + 1);
        self.catalog.get_event(event.event_id).await.expect("live");
    }
}

fn expect_not_found<T: std::fmt::Debug>(result: shared::error::Result<T>) {
    match result {
        Err(e) if e.is_not_found() => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

fn photo_row(event: &Event, i: usize) -> Photo {
    Photo {
        event_id: event.event_id,
        photo_id: PhotoId::generate(),
        owner_id: event.owner_id.clone(),
        filename: format!("IMG_{i:04}.jpg"),
        content_type: "image/jpeg".to_owned(),
        bytes: 5,
        sha256: "0".repeat(64),
        status: PhotoStatus::Ready,
        failure: None,
        metadata: None,
        upload: UploadKind::Single,
        created_at: Timestamp::now(),
        processing_until: None,
        attempts: 1,
        expires_at: event.expires_at,
        version: 0,
    }
}

fn past() -> Timestamp {
    Timestamp::now().plus_secs(-3_600)
}

fn future() -> Timestamp {
    Timestamp::now().plus_secs(30 * 86_400)
}

async fn the_sweep_deletes_every_byte_and_row_of_expired_events_only(stack: Stack) {
    let expired = stack.event(past(), 30).await;
    let also_expired = stack.event(past(), 0).await;
    let live = stack.event(future(), 3).await;
    let report = sweep(&stack.deps(), Timestamp::now()).await.expect("sweep");
    assert_eq!(report.events, 2);
    assert_eq!(report.objects, 30 * 3 + 1 + 1);
    stack.assert_reaped(&expired).await;
    stack.assert_reaped(&also_expired).await;
    stack.assert_untouched(&live, 3).await;
    // Nothing left to do: a second sweep finds nothing.
    let again = sweep(&stack.deps(), Timestamp::now())
        .await
        .expect("sweep again");
    assert_eq!((again.events, again.objects), (0, 0));
}

#[tokio::test]
async fn the_sweep_deletes_every_byte_and_row_of_expired_events_only_on_sqlite_and_files() {
    the_sweep_deletes_every_byte_and_row_of_expired_events_only(Stack::local().await).await;
}

#[tokio::test]
async fn the_sweep_deletes_every_byte_and_row_of_expired_events_only_on_dynamodb_and_s3() {
    the_sweep_deletes_every_byte_and_row_of_expired_events_only(Stack::aws().await).await;
}

/// A sweep that fails halfway (storage gives out after its first delete) leaves the event
/// row, so the next sweep finds the event again and finishes it.
#[tokio::test]
async fn a_sweep_stopped_halfway_is_finished_by_the_next() {
    let stack = Stack::local().await;
    let expired = stack.event(past(), 5).await;
    let deletes = AtomicU32::new(0);
    let flaky = ReaperDeps {
        catalog: Arc::clone(&stack.catalog),
        // Deletes fail from the second on.
        blobs: Arc::new(faulty_blobs(Arc::clone(&stack.blobs), move |call| {
            let delete = matches!(call, BlobCall::Delete | BlobCall::DeletePrefix);
            (delete && deletes.fetch_add(1, Ordering::SeqCst) >= 1).then_some(Fault::Before)
        })),
    };
    let err = sweep(&flaky, Timestamp::now())
        .await
        .expect_err("storage gives out");
    assert!(err.to_string().contains("storage unavailable"), "{err}");
    let left = stack.objects_of(&expired).await.len();
    assert!(left > 0 && left < 5 * 3 + 1, "halfway: {left} objects left");
    stack
        .catalog
        .get_event_live_or_expired(expired.event_id)
        .await
        .expect("the row stays for the next run");

    let report = sweep(&stack.deps(), Timestamp::now())
        .await
        .expect("the next sweep");
    assert_eq!(report.events, 1);
    stack.assert_reaped(&expired).await;
}

impl Stack {
    /// What DynamoDB's TTL does: the event row and its path claim disappear; returns the
    /// stream batch (as Lambda receives it) of the row's removal.
    async fn remove_by_ttl(&self, event: &Event, by: Option<Value>) -> Value {
        let Keep::Aws(aws) = &self.keep else {
            panic!("DynamoDB only");
        };
        let (dynamo, tables) = (&aws.dynamo, &aws.tables);
        let pk = format!("event#{}", event.event_id);
        let key = aws_sdk_dynamodb::types::AttributeValue::S(pk.clone());
        let removed = dynamo
            .delete_item()
            .table_name(&tables.events)
            .key("pk", key)
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .expect("remove the row");
        let old = removed.attributes.expect("the row existed");
        dynamo
            .delete_item()
            .table_name(&tables.events)
            .key(
                "pk",
                aws_sdk_dynamodb::types::AttributeValue::S(format!(
                    "path#{}#{}",
                    event.owner_id, event.slug
                )),
            )
            .send()
            .await
            .expect("remove the path claim");
        let image: serde_dynamo::Item = old.into();
        let mut record = json!({
            "eventID": "1",
            "eventName": "REMOVE",
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {
                "ApproximateCreationDateTime": 1795428000,
                "Keys": {"pk": {"S": pk}},
                "OldImage": image,
                "SequenceNumber": "100",
                "SizeBytes": 400,
                "StreamViewType": "OLD_IMAGE"
            }
        });
        if let Some(by) = by {
            record["userIdentity"] = by;
        }
        json!({ "Records": [record] })
    }
}

fn ttl_service() -> Value {
    json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"})
}

/// The stream path: TTL has removed the row; the record's old image is all that is left of
/// the event, and reaping from it deletes the objects and children and keeps the tombstone.
#[tokio::test]
async fn a_ttl_removal_on_the_stream_reaps_the_event_from_its_old_image() {
    let stack = Stack::aws().await;
    let expired = stack.event(past(), 12).await;
    let live = stack.event(future(), 2).await;
    let batch = stack.remove_by_ttl(&expired, Some(ttl_service())).await;
    let response = handle_invocation(&stack.deps(), batch.clone())
        .await
        .expect("handled");
    assert_eq!(response["batchItemFailures"], json!([]), "{response}");
    stack.assert_reaped(&expired).await;
    stack.assert_untouched(&live, 2).await;
    // A redelivery of the same record is harmless.
    let response = handle_invocation(&stack.deps(), batch)
        .await
        .expect("again");
    assert_eq!(response["batchItemFailures"], json!([]), "{response}");
    stack.assert_reaped(&expired).await;
}

/// Removals by anyone but the TTL process (a photographer's delete, the reaper's own) are
/// not the reaper's: nothing is deleted on their account.
#[tokio::test]
async fn removals_not_made_by_ttl_are_ignored() {
    let stack = Stack::aws().await;
    let event = stack.event(future(), 2).await;
    let by_a_user = json!({"type": "IAMUser", "principalId": "AIDAEXAMPLE"});
    for by in [None, Some(by_a_user)] {
        let batch = stack.remove_by_ttl(&event, by).await;
        let response = handle_invocation(&stack.deps(), batch)
            .await
            .expect("handled");
        assert_eq!(response["batchItemFailures"], json!([]), "{response}");
        assert_eq!(stack.objects_of(&event).await.len(), 2 * 3 + 1);
        // Put the row back for the next round.
        stack.catalog.insert_event(&event).await.expect("re-insert");
    }
}

/// The committed sample record (what the SAM template's stream delivers) reads as the
/// event it names; a record without its old image is an error naming the setting.
#[test]
fn the_sample_ttl_removal_names_its_event() {
    let text = std::fs::read_to_string(
        testkit::moto::workspace_root().join("events/reaper/ttl-removal.json"),
    )
    .expect("sample");
    let batch: aws_lambda_events::event::dynamodb::Event =
        serde_json::from_str(&text).expect("a stream batch");
    let event = event_expired_by_ttl(&batch.records[0])
        .expect("readable")
        .expect("an event removed by TTL");
    assert_eq!(event.event_id.to_string(), testkit::api::SAMPLE_EVENT_ID);
    assert_eq!(event.slug, "wedding-2026");

    let mut without_image: Value = serde_json::from_str(&text).expect("JSON");
    without_image["Records"][0]["dynamodb"]
        .as_object_mut()
        .expect("record")
        .remove("OldImage");
    let batch: aws_lambda_events::event::dynamodb::Event =
        serde_json::from_value(without_image).expect("a stream batch");
    let err = event_expired_by_ttl(&batch.records[0]).expect_err("no image");
    assert!(err.to_string().contains("OLD_IMAGE"), "{err}");
}

/// The schedule path on AWS: an expired event whose row TTL has not removed yet (it is
/// lazy, up to days) is reaped by the daily sweep.
#[tokio::test]
async fn the_daily_schedule_sweeps_what_ttl_has_not_removed_yet() {
    let stack = Stack::aws().await;
    let expired = stack.event(past(), 4).await;
    let text = std::fs::read_to_string(
        testkit::moto::workspace_root().join("events/reaper/schedule.json"),
    )
    .expect("sample");
    let report = handle_invocation(&stack.deps(), serde_json::from_str(&text).expect("JSON"))
        .await
        .expect("swept");
    assert_eq!(report["events"], 1, "{report}");
    stack.assert_reaped(&expired).await;
}
