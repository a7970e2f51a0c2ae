//! The reaper on a 10,000-photo event (issue #16), on the AWS stack as the tests run it:
//! DynamoDB on moto_server, S3 on s3s-fs, both on loopback. Prints the requests made to each
//! (S3 counted by the server, DynamoDB by an interceptor on the client) and the time taken,
//! for the stream path (the event row already removed by TTL) and the sweep path.
//!
//! `cargo bench -p testkit --bench reaper` (needs `moto_server`: `scripts/install-test-deps`).
//! Figures are the emulators' (Python moto, s3s-fs on a local disk), not AWS's: the request
//! counts carry over, the times are an upper bound of the code's own cost.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use bytes::Bytes;
use futures::StreamExt;
use shared::adapters::dynamo_catalog::{DynamoCatalog, DynamoTables};
use shared::adapters::s3_blobs::{S3Blobs, S3BlobsConfig};
use shared::domain::{Event, EventId, PageRequest, Timestamp, UserId, keys};
use shared::ports::{Blobs, Catalog, PhotoQuery};
use shared::reaping::{ReaperDeps, reap_event, sweep};
use testkit::moto::MotoServer;
use testkit::s3::S3Server;
use testkit::seed::{ready_photo, runtime};

const PHOTOS: usize = 10_000;

/// Counts DynamoDB requests by operation (from the `X-Amz-Target` header every DynamoDB
/// request carries), retries included.
#[derive(Debug, Default, Clone)]
struct DynamoRequests(Arc<Mutex<BTreeMap<String, u64>>>);

impl DynamoRequests {
    fn take(&self) -> BTreeMap<String, u64> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Intercept for DynamoRequests {
    fn name(&self) -> &'static str {
        "DynamoRequests"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let target = context
            .request()
            .headers()
            .get("x-amz-target")
            .unwrap_or("?")
            .rsplit('.')
            .next()
            .unwrap_or("?")
            .to_owned();
        *self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(target)
            .or_default() += 1;
        Ok(())
    }
}

struct Stack {
    catalog: Arc<DynamoCatalog>,
    blobs: Arc<S3Blobs>,
    dynamo_requests: DynamoRequests,
    s3: S3Server,
    _moto: MotoServer,
}

async fn stack() -> Stack {
    let moto = MotoServer::start().await.unwrap_or_else(|e| panic!("{e}"));
    let sdk = testkit::aws::sdk_config(moto.endpoint_url()).await;
    let dynamo_requests = DynamoRequests::default();
    let client = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .interceptor(dynamo_requests.clone())
            .build(),
    );
    let catalog = DynamoCatalog::new(client, DynamoTables::with_prefix("picpass-bench-"));
    catalog.create_tables().await.expect("tables on moto");
    let s3 = S3Server::start().await;
    let blobs = S3Blobs::new(
        &s3.sdk_config().await,
        S3BlobsConfig {
            bucket: s3.bucket().to_owned(),
            force_path_style: true,
        },
    )
    .await
    .expect("S3Blobs on s3s-fs");
    Stack {
        catalog: Arc::new(catalog),
        blobs: Arc::new(blobs),
        dynamo_requests,
        s3,
        _moto: moto,
    }
}

/// An expired event of `PHOTOS` ready photos, each with its original and two derivatives.
async fn seed(stack: &Stack, slug: &str) -> Event {
    let now = Timestamp::now();
    let event = Event {
        event_id: EventId::generate(),
        owner_id: UserId::parse("8f0c2a6e-1b2c-4d5e-9f00-123456789abc").expect("owner"),
        name: "Bench".to_owned(),
        slug: slug.to_owned(),
        created_at: now.plus_secs(-86_400),
        expires_at: now.plus_secs(-60),
        cover_photo_id: None,
        watermark: None,
        photo_count: 0,
        version: 0,
    };
    stack.catalog.insert_event(&event).await.expect("event");
    let photos: Vec<_> = (0..PHOTOS).map(|i| ready_photo(&event, i, now)).collect();
    for chunk in photos.chunks(500) {
        stack.catalog.insert_photos(chunk).await.expect("photos");
    }
    let mut keys_to_put = Vec::with_capacity(PHOTOS * 3);
    for photo in &photos {
        keys_to_put.push(keys::original(
            &event.owner_id,
            event.event_id,
            photo.photo_id,
        ));
        for variant in ["thumb", "web"] {
            keys_to_put.push(keys::derived(
                &event.owner_id,
                event.event_id,
                photo.photo_id,
                variant,
            ));
        }
    }
    futures::stream::iter(keys_to_put)
        .map(|key| {
            let blobs = Arc::clone(&stack.blobs);
            async move {
                blobs
                    .put(&key, Bytes::from_static(b"x"), "image/jpeg")
                    .await
                    .expect("put");
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<()>>()
        .await;
    event
}

fn print(path: &str, seconds: f64, s3: u64, dynamo: &BTreeMap<String, u64>, objects: u64) {
    let total: u64 = dynamo.values().sum();
    println!(
        "{path}: {PHOTOS} photos, {objects} objects deleted in {seconds:.2} s; \
         S3 requests {s3}; DynamoDB requests {total} {dynamo:?}"
    );
}

async fn assert_gone(stack: &Stack, event: &Event) {
    for prefix in keys::event_prefixes(&event.owner_id, event.event_id) {
        let left = stack
            .blobs
            .list(&prefix, &PageRequest::first(10))
            .await
            .expect("list");
        assert!(left.items.is_empty(), "objects left under {prefix}");
    }
    let photos = stack
        .catalog
        .list_photos(
            event.event_id,
            &PhotoQuery::default(),
            &PageRequest::first(10),
        )
        .await;
    assert!(
        photos.map(|p| p.items.is_empty()).unwrap_or(true),
        "photo rows left"
    );
}

fn main() {
    let rt = runtime();
    rt.block_on(async {
        let stack = stack().await;
        let deps = ReaperDeps {
            catalog: Arc::clone(&stack.catalog) as Arc<dyn Catalog>,
            blobs: Arc::clone(&stack.blobs) as Arc<dyn Blobs>,
        };

        let started = Instant::now();
        let event = seed(&stack, "stream").await;
        eprintln!("seeded in {:.1} s", started.elapsed().as_secs_f64());
        let (s3_before, _) = (stack.s3.requests(), stack.dynamo_requests.take());
        let started = Instant::now();
        let report = reap_event(&deps, &event).await.expect("reap");
        let seconds = started.elapsed().as_secs_f64();
        print(
            "stream (one event from its old image)",
            seconds,
            stack.s3.requests() - s3_before,
            &stack.dynamo_requests.take(),
            report.objects,
        );
        assert_gone(&stack, &event).await;

        let event = seed(&stack, "sweep").await;
        let (s3_before, _) = (stack.s3.requests(), stack.dynamo_requests.take());
        let started = Instant::now();
        let report = sweep(&deps, Timestamp::now()).await.expect("sweep");
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(report.events, 1);
        print(
            "sweep (scan for expired events, then the same)",
            seconds,
            stack.s3.requests() - s3_before,
            &stack.dynamo_requests.take(),
            report.objects,
        );
        assert_gone(&stack, &event).await;
    });
}
