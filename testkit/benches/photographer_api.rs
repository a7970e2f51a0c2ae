//! Speed targets of the photographer API (issue #10), measured at the handler entry the
//! Lambda `main`s call (`presign_api::handle`, `events_api::handle`): a parsed
//! `lambda_http::Request` in, the JSON response out, so routing, identity, JSON parsing,
//! the service, the catalog, signing and serialisation are all inside the timing. Building
//! the request (API Gateway event → `Request`) and creating/removing events are not.
//!
//! | benchmark | what | target |
//! |---|---|---|
//! | `presign_500_sqlite_s3` | `POST /api/events/{id}/uploads`, 500 new files, `SqliteCatalog` (file, WAL) holding 101,200 photos, `S3Blobs` signing | ≤ 8 ms |
//! | `presign_500_dynamo_moto` | the same on `DynamoCatalog` against moto_server | reported |
//! | `photo_page_200_of_100000/{first,middle}` | `GET /api/events/{id}/photos?limit=200`, first page and page 251 (cursor), event of 100,000 ready photos | ≤ 5 ms |
//! | `photo_page_200_of_1200/{first,middle}` | the same in an event of 1,200 (page 4) | ≤ 5 ms |
//!
//! `cargo bench -p testkit --bench photographer_api` (all), or add a filter after `--`,
//! e.g. `-- photo_page`. The moto benchmark needs `moto_server` (`scripts/install-test-deps`).

use std::cell::OnceCell;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use lambda_http::{Body, Request};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use shared::adapters::dynamo_catalog::{DynamoCatalog, DynamoTables};
use shared::domain::{EventId, PageRequest};
use shared::http::{events_api, presign_api};
use shared::ports::PhotoQuery;
use shared::services::{ApiLimits, Deps};
use testkit::api::{ApiHarness, ApiRequest, Function, Photographer, Storage, split};
use testkit::moto::MotoServer;
use testkit::seed::{create_event, runtime, seed_ready_photos};
use tokio::runtime::Runtime;

/// Files in one uploads call (the API's maximum).
const FILES: usize = 500;
/// Photos per page (the API's maximum).
const PAGE: usize = 200;
/// The large and the typical event of the photo-page benchmarks.
const BIG_EVENT: usize = 100_000;
const SMALL_EVENT: usize = 1_200;

/// The real handlers on a SQLite file catalog and S3Blobs signing, with a 100,000-photo and
/// a 1,200-photo event of ready photos already in the catalog.
struct SqliteFixture {
    harness: ApiHarness,
    who: Photographer,
    big: EventId,
    small: EventId,
}

impl SqliteFixture {
    async fn start() -> Self {
        // S3Blobs only signs here (no request reaches the s3s-fs server it is pointed at).
        let harness = ApiHarness::start_with(Storage::S3, ApiLimits::default()).await;
        let who = Photographer::new("bench");
        let started = Instant::now();
        let big = create_event(&harness.deps, &who, "big-event").await;
        seed_ready_photos(&harness.deps, big, BIG_EVENT).await;
        let small = create_event(&harness.deps, &who, "small-event").await;
        seed_ready_photos(&harness.deps, small, SMALL_EVENT).await;
        eprintln!(
            "seeded {} ready photos in {:.1} s",
            BIG_EVENT + SMALL_EVENT,
            started.elapsed().as_secs_f64()
        );
        Self {
            harness,
            who,
            big,
            small,
        }
    }
}

/// The uploads request for `FILES` distinct new files (sizes under the single-PUT limit).
fn uploads_request(who: &Photographer, event_id: EventId, round: u64) -> Request {
    let files: Vec<Value> = (0..FILES)
        .map(|i| {
            json!({
                "name": format!("IMG_{i:04}.JPG"),
                "content_type": "image/jpeg",
                "bytes": 4_000_000 + i * 7_919,
                "sha256": hex::encode(Sha256::digest(format!("upload {round} {i}"))),
            })
        })
        .collect();
    ApiRequest::sample(Function::Presign, "create_uploads")
        .as_user(who)
        .ids(Some(&event_id.to_string()), None)
        .json(json!({ "files": files }))
        .build()
}

/// Checks (untimed) that the measured call does the full work: 500 single-PUT tickets.
fn assert_all_single(response: lambda_http::Response<Body>) {
    let (status, body) = split(response);
    assert_eq!(status, 200, "uploads: {body}");
    let tickets = body["tickets"].as_array().expect("tickets");
    assert_eq!(tickets.len(), FILES);
    assert!(
        tickets
            .iter()
            .all(|t| t["kind"] == "single" && t["url"].is_string()),
        "every file gets a presigned PUT"
    );
}

/// Numbers each uploads round: its event's slug and its files' digests.
static ROUND: AtomicU64 = AtomicU64::new(1);

/// One uploads call for 500 new files on a fresh event, which is removed again afterwards
/// (so nothing is a duplicate, the per-event limit never bites, and the catalog keeps its
/// size). Returns the response and how long the handler took; nothing else is timed.
fn presign_once(
    rt: &Runtime,
    deps: &Deps,
    who: &Photographer,
) -> (lambda_http::Response<Body>, Duration) {
    let round = ROUND.fetch_add(1, Ordering::Relaxed);
    let (event_id, req) = rt.block_on(async {
        let event_id = create_event(deps, who, &format!("uploads-{round}")).await;
        (event_id, uploads_request(who, event_id, round))
    });
    let started = Instant::now();
    let response = rt.block_on(shared::http::handle::<presign_api::PresignApi>(deps, req));
    let took = started.elapsed();
    rt.block_on(async {
        let event = deps.catalog.get_event_live_or_expired(event_id).await?;
        deps.catalog.delete_event(&event, None).await
    })
    .expect("remove the benchmark event");
    (response, took)
}

/// `iters` timed uploads calls.
fn time_presign(rt: &Runtime, deps: &Deps, who: &Photographer, iters: u64) -> Duration {
    (0..iters)
        .map(|_| {
            let (response, took) = presign_once(rt, deps, who);
            assert_eq!(response.status(), 200, "uploads: {:?}", response.body());
            drop(black_box(response));
            took
        })
        .sum()
}

fn presign_sqlite(c: &mut Criterion) {
    let rt = runtime();
    let fixture: OnceCell<SqliteFixture> = OnceCell::new();
    c.bench_function("presign_500_sqlite_s3", |b| {
        let f = fixture.get_or_init(|| {
            let f = rt.block_on(SqliteFixture::start());
            // Once, untimed: the response is what the benchmark claims to measure.
            assert_all_single(presign_once(&rt, &f.harness.deps, &f.who).0);
            f
        });
        b.iter_custom(|iters| time_presign(&rt, &f.harness.deps, &f.who, iters));
    });
    photo_pages(c, &rt, &fixture);
}

/// The request for one page: the first, or the one after `cursor`.
fn page_request(who: &Photographer, event_id: EventId, cursor: Option<&str>) -> ApiRequest {
    let query = match cursor {
        Some(cursor) => format!("limit={PAGE}&cursor={cursor}"),
        None => format!("limit={PAGE}"),
    };
    ApiRequest::sample(Function::Events, "list_photos")
        .as_user(who)
        .ids(Some(&event_id.to_string()), None)
        .query(&query)
}

/// The cursor of the page that starts at photo `offset` (walked through the catalog).
async fn cursor_at(deps: &Deps, event_id: EventId, offset: usize) -> String {
    let limit = u32::try_from(PAGE).expect("page size fits u32");
    let mut page = PageRequest::first(limit);
    let mut skipped = 0;
    while skipped < offset {
        let listed = deps
            .catalog
            .list_photos(event_id, &PhotoQuery::default(), &page)
            .await
            .expect("walk the pages");
        skipped += listed.items.len();
        page = PageRequest {
            limit,
            cursor: Some(listed.next.expect("a page after this one")),
        };
    }
    page.cursor
        .expect("a cursor past the first page")
        .as_str()
        .to_owned()
}

/// Checks (untimed) that a page is full and every photo on it has signed URLs.
fn assert_full_signed_page(response: lambda_http::Response<Body>) {
    let (status, body) = split(response);
    assert_eq!(status, 200, "photos: {body}");
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), PAGE, "a full page");
    assert!(
        items
            .iter()
            .all(|p| p["thumb_url"].is_string() && p["web_url"].is_string()),
        "ready photos carry signed thumb_url and web_url"
    );
    assert!(body["next_cursor"].is_string(), "more pages follow");
}

fn photo_pages(c: &mut Criterion, rt: &Runtime, fixture: &OnceCell<SqliteFixture>) {
    for (name, size) in [
        ("photo_page_200_of_100000", BIG_EVENT),
        ("photo_page_200_of_1200", SMALL_EVENT),
    ] {
        let mut group = c.benchmark_group(name);
        for (position, offset) in [("first", 0), ("middle", size / 2)] {
            group.bench_function(position, |b| {
                let f = fixture.get_or_init(|| rt.block_on(SqliteFixture::start()));
                let deps = &f.harness.deps;
                let event_id = if size == BIG_EVENT { f.big } else { f.small };
                let cursor = (offset > 0).then(|| rt.block_on(cursor_at(deps, event_id, offset)));
                let template = page_request(&f.who, event_id, cursor.as_deref());
                assert_full_signed_page(rt.block_on(
                    shared::http::handle::<events_api::EventsApi>(deps, template.clone().build()),
                ));
                b.iter_batched(
                    || template.clone().build(),
                    |req| rt.block_on(shared::http::handle::<events_api::EventsApi>(deps, req)),
                    BatchSize::SmallInput,
                );
            });
        }
        group.finish();
    }
}

/// The SQLite fixture's handlers with the catalog swapped for `DynamoCatalog` on a
/// moto_server of its own.
struct DynamoFixture {
    deps: Deps,
    who: Photographer,
    _harness: ApiHarness,
    _moto: MotoServer,
}

async fn start_dynamo() -> DynamoFixture {
    let moto = MotoServer::start().await.unwrap_or_else(|e| {
        panic!(
            "presign_500_dynamo_moto needs moto_server: {e}\n\
             Run scripts/install-test-deps (it creates .venv with moto[server]), \
             or set PICPASS_MOTO_SERVER"
        )
    });
    let config = testkit::aws::sdk_config(moto.endpoint_url()).await;
    let catalog = DynamoCatalog::from_sdk_config(&config, DynamoTables::with_prefix("bench-"));
    catalog
        .create_tables()
        .await
        .expect("create the catalog tables on moto");
    let harness = ApiHarness::start_with(Storage::S3, ApiLimits::default()).await;
    let deps = Deps {
        catalog: Arc::new(catalog),
        ..harness.deps.clone()
    };
    DynamoFixture {
        deps,
        who: Photographer::new("bench"),
        _harness: harness,
        _moto: moto,
    }
}

fn presign_dynamo(c: &mut Criterion) {
    let rt = runtime();
    let fixture: OnceCell<DynamoFixture> = OnceCell::new();
    c.bench_function("presign_500_dynamo_moto", |b| {
        let f = fixture.get_or_init(|| {
            let f = rt.block_on(start_dynamo());
            assert_all_single(presign_once(&rt, &f.deps, &f.who).0);
            f
        });
        b.iter_custom(|iters| time_presign(&rt, &f.deps, &f.who, iters));
    });
}

criterion_group!(sqlite, presign_sqlite);
criterion_group! {
    name = dynamo;
    // Each call is hundreds of requests to a Python server: ten samples are plenty.
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(20));
    targets = presign_dynamo
}
criterion_main!(sqlite, dynamo);
