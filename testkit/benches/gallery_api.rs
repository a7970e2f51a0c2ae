//! Speed targets of the viewer API (issue #16), measured at the handler entry the `gallery`
//! Lambda calls (`shared::http::handle::<GalleryApi>`): a parsed `lambda_http::Request` in,
//! the JSON response out — routing, the event and code lookups, throttling counters, the
//! viewer token, the catalog, signing and serialisation are all inside the timing.
//!
//! | benchmark | what | target |
//! |---|---|---|
//! | `unlock_right_code` | `POST /api/g/{username}/{slug}/unlock` with the right code (counters incremented, code found by its lookup key, token issued), `SqliteCatalog` | reported |
//! | `viewer_page_200_of_100000/{all,subset}_{first,middle}` | `GET …/photos?limit=200` with a viewer token, in an event of 100,000 ready photos: a code for everything (one index range) and a code for 20,000 of them (batched key lookups), first page and a middle one; 200 signed `thumb_url` + `web_url` | ≤ 5 ms |
//!
//! `cargo bench -p testkit --bench gallery_api` (all), or add a filter after `--`.

use std::cell::OnceCell;
use std::time::Instant;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use lambda_http::Body;
use serde_json::{Value, json};
use shared::domain::EventId;
use shared::http::events_api;
use shared::http::gallery_api::GalleryApi;
use shared::ports::{PhotoQuery, PhotoSort};
use shared::services::ApiLimits;
use testkit::api::{ApiHarness, ApiRequest, Function, Photographer, Storage, split};
use testkit::seed::{create_event, runtime, seed_ready_photos};
use tokio::runtime::Runtime;

/// Photos per page (the API's maximum).
const PAGE: usize = 200;
/// The event's photos.
const EVENT_PHOTOS: usize = 100_000;
/// The subset code's photos (every fifth).
const SUBSET: usize = 20_000;
/// The sample gallery events' path (replaced by the fixture's).
const SAMPLE_BASE: &str = "/api/g/anna/wedding-2026";

/// The real handlers on a SQLite file catalog and S3Blobs signing (no request reaches
/// storage), a 100,000-photo event and two codes for it.
struct Fixture {
    harness: ApiHarness,
    base: String,
    all_code: String,
    all_token: String,
    subset_token: String,
}

impl Fixture {
    async fn start() -> Self {
        let harness = ApiHarness::start_with(Storage::S3, ApiLimits::default()).await;
        let deps = &harness.deps;
        let who = Photographer::new("bench");
        let started = Instant::now();
        let event_id = create_event(deps, &who, "gallery-bench").await;
        seed_ready_photos(deps, event_id, EVENT_PHOTOS).await;
        eprintln!(
            "seeded {EVENT_PHOTOS} ready photos in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let subset: Vec<String> = every_photo(&harness, event_id)
            .await
            .into_iter()
            .step_by(EVENT_PHOTOS / SUBSET)
            .collect();
        let all_code = make_code(
            &harness,
            &who,
            event_id,
            json!({"label": "All", "all": true}),
        )
        .await;
        let subset_code = make_code(
            &harness,
            &who,
            event_id,
            json!({"label": "Family", "photo_ids": subset}),
        )
        .await;
        let base = "/api/g/bench/gallery-bench".to_owned();
        let mut fixture = Self {
            harness,
            base,
            all_code: all_code.clone(),
            all_token: String::new(),
            subset_token: String::new(),
        };
        fixture.all_token = fixture.unlock(&all_code).await;
        fixture.subset_token = fixture.unlock(&subset_code).await;
        fixture
    }

    fn req(&self, name: &str) -> ApiRequest {
        ApiRequest::sample(Function::Gallery, name).path_replace(SAMPLE_BASE, &self.base)
    }

    fn unlock_request(&self, code: &str) -> ApiRequest {
        self.req("unlock")
            .from_ip("198.51.100.7")
            .json(json!({ "code": code }))
    }

    async fn unlock(&self, code: &str) -> String {
        let response = shared::http::handle::<GalleryApi>(
            &self.harness.deps,
            self.unlock_request(code).build(),
        )
        .await;
        let (status, body) = split(response);
        assert_eq!(status, 200, "unlock: {body}");
        body["token"].as_str().expect("token").to_owned()
    }

    fn page_request(&self, token: &str, cursor: Option<&str>) -> ApiRequest {
        let query = match cursor {
            Some(cursor) => format!("limit={PAGE}&cursor={cursor}"),
            None => format!("limit={PAGE}"),
        };
        self.req("list_photos").bearer(token).query(&query)
    }

    /// The cursor of the page after `pages` full pages, walked through the handler.
    async fn cursor_after(&self, token: &str, pages: usize) -> String {
        let mut cursor: Option<String> = None;
        for _ in 0..pages {
            let response = shared::http::handle::<GalleryApi>(
                &self.harness.deps,
                self.page_request(token, cursor.as_deref()).build(),
            )
            .await;
            let (status, body) = split(response);
            assert_eq!(status, 200, "page: {body}");
            cursor = Some(
                body["next_cursor"]
                    .as_str()
                    .expect("a next page")
                    .to_owned(),
            );
        }
        cursor.expect("at least one page walked")
    }
}

/// Every photo id of the event, in upload order.
async fn every_photo(harness: &ApiHarness, event_id: EventId) -> Vec<String> {
    let query = PhotoQuery {
        status: None,
        sort: PhotoSort::Uploaded,
    };
    let mut ids = Vec::with_capacity(EVENT_PHOTOS);
    let mut page = shared::domain::PageRequest::first(1000);
    loop {
        let listed = harness
            .deps
            .catalog
            .list_photos(event_id, &query, &page)
            .await
            .expect("list");
        ids.extend(listed.items.iter().map(|p| p.photo_id.to_string()));
        match listed.next {
            Some(cursor) => page = shared::domain::PageRequest::after(1000, cursor),
            None => return ids,
        }
    }
}

/// `POST …/codes` through the events handler; returns the code.
async fn make_code(
    harness: &ApiHarness,
    who: &Photographer,
    event_id: EventId,
    body: Value,
) -> String {
    let req = ApiRequest::sample(Function::Events, "create_code")
        .as_user(who)
        .ids(Some(&event_id.to_string()), None)
        .json(body)
        .build();
    let response = shared::http::handle::<events_api::EventsApi>(&harness.deps, req).await;
    let (status, body) = split(response);
    assert_eq!(status, 201, "create code: {body}");
    body["code"].as_str().expect("code").to_owned()
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
}

fn fixture<'a>(rt: &Runtime, cell: &'a OnceCell<Fixture>) -> &'a Fixture {
    cell.get_or_init(|| rt.block_on(Fixture::start()))
}

fn unlock(c: &mut Criterion, rt: &Runtime, cell: &OnceCell<Fixture>) {
    c.bench_function("unlock_right_code", |b| {
        let f = fixture(rt, cell);
        let template = f.unlock_request(&f.all_code);
        b.iter_batched(
            || template.clone().build(),
            |req| rt.block_on(shared::http::handle::<GalleryApi>(&f.harness.deps, req)),
            BatchSize::SmallInput,
        );
    });
}

fn viewer_pages(c: &mut Criterion, rt: &Runtime, cell: &OnceCell<Fixture>) {
    let mut group = c.benchmark_group("viewer_page_200_of_100000");
    for (name, subset, middle_pages) in [
        ("all_first", false, 0),
        ("all_middle", false, EVENT_PHOTOS / PAGE / 2),
        ("subset_first", true, 0),
        ("subset_middle", true, SUBSET / PAGE / 2),
    ] {
        group.bench_function(name, |b| {
            let f = fixture(rt, cell);
            let token = if subset {
                &f.subset_token
            } else {
                &f.all_token
            };
            let cursor =
                (middle_pages > 0).then(|| rt.block_on(f.cursor_after(token, middle_pages)));
            let template = f.page_request(token, cursor.as_deref());
            assert_full_signed_page(rt.block_on(shared::http::handle::<GalleryApi>(
                &f.harness.deps,
                template.clone().build(),
            )));
            b.iter_batched(
                || template.clone().build(),
                |req| rt.block_on(shared::http::handle::<GalleryApi>(&f.harness.deps, req)),
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

fn gallery(c: &mut Criterion) {
    let rt = runtime();
    let cell = OnceCell::new();
    unlock(c, &rt, &cell);
    viewer_pages(c, &rt, &cell);
}

criterion_group!(benches, gallery);
criterion_main!(benches);
