//! Adapter-specific checks the conformance suite cannot express: query plans and speed.

use std::time::{Duration, Instant};

use super::SqliteCatalog;
use super::photos::list_sql;
use crate::domain::{
    Event, EventId, PageRequest, Photo, PhotoId, PhotoMetadata, PhotoStatus, Timestamp, UploadKind,
    UserId,
};
use crate::ports::{Catalog, PhotoQuery, PhotoSort};

fn event(now: Timestamp) -> Event {
    Event {
        event_id: EventId::generate(),
        owner_id: UserId::parse("owner-1").expect("valid"),
        name: "Big wedding".to_owned(),
        slug: "big-wedding".to_owned(),
        created_at: now,
        expires_at: now.plus_secs(86_400),
        cover_photo_id: None,
        watermark: None,
        photo_count: 0,
        version: 1,
    }
}

fn photo(event: &Event, n: usize) -> Photo {
    Photo {
        event_id: event.event_id,
        photo_id: PhotoId::generate(),
        owner_id: event.owner_id.clone(),
        filename: format!("IMG_{n:05}.JPG"),
        content_type: "image/jpeg".to_owned(),
        bytes: 12_000_000,
        sha256: format!("{n:064x}"),
        status: PhotoStatus::Pending,
        failure: None,
        metadata: None,
        upload: UploadKind::Single,
        created_at: event.created_at,
        processing_until: None,
        attempts: 0,
        expires_at: event.expires_at,
        version: 1,
    }
}

fn all_queries() -> Vec<PhotoQuery> {
    let mut out = Vec::new();
    for sort in [PhotoSort::Uploaded, PhotoSort::Taken] {
        for status in [None, Some(PhotoStatus::Ready)] {
            out.push(PhotoQuery { status, sort });
        }
    }
    out
}

/// Every photo page reads one index range in key order: a `SEARCH` on an index, and never a
/// temporary B-tree (which would mean sorting the whole event).
#[tokio::test]
async fn photo_pages_read_one_index_range_without_sorting() {
    let catalog = SqliteCatalog::open_in_memory().expect("open");
    let conn = catalog.conn.lock().expect("lock");
    for query in all_queries() {
        for continued in [false, true] {
            let sql = list_sql(&query, continued);
            let mut stmt = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .expect("explain");
            let plan: Vec<String> = stmt
                .query_map(rusqlite::params!["e", 0, 201, "ready", 0, "p"], |row| {
                    row.get::<_, String>(3)
                })
                .expect("plan")
                .collect::<rusqlite::Result<_>>()
                .expect("rows");
            let plan = plan.join(" | ");
            assert!(
                plan.starts_with("SEARCH photos USING") && !plan.contains("TEMP B-TREE"),
                "{query:?} continued={continued}: {plan}"
            );
        }
    }
}

/// Registering 500 photos is one transaction with one prepared statement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registering_500_photos_is_one_quick_transaction() {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = SqliteCatalog::open(dir.path().join("c.sqlite3")).expect("open");
    let event = event(Timestamp::now());
    catalog.insert_event(&event).await.expect("event");
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let photos: Vec<_> = (0..500).map(|n| photo(&event, n)).collect();
        let started = Instant::now();
        catalog.insert_photos(&photos).await.expect("insert");
        best = best.min(started.elapsed());
    }
    eprintln!("500 photos registered in {best:?} (best of 5)");
    // Generous for unoptimised test builds; release builds measure a few milliseconds.
    assert!(
        best < Duration::from_millis(400),
        "500 photos took {best:?}"
    );
}

/// A page of 200 costs the same at the start and deep inside a large event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_pages_of_a_large_event_cost_the_same_as_the_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = SqliteCatalog::open(dir.path().join("c.sqlite3")).expect("open");
    let event = event(Timestamp::now());
    catalog.insert_event(&event).await.expect("event");
    // 20,000 keeps the test quick; `PICPASS_BIG_EVENT_PHOTOS=100000` measures the real case.
    let photos_in_event: usize = std::env::var("PICPASS_BIG_EVENT_PHOTOS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    for batch in 0..photos_in_event.div_ceil(500) {
        let photos: Vec<_> = (0..500)
            .map(|n| {
                let n = batch * 500 + n;
                let mut p = photo(&event, n);
                if n % 3 == 0 {
                    p.status = PhotoStatus::Ready;
                    p.metadata = Some(PhotoMetadata {
                        taken_at: Some(event.created_at.plus_secs((n % 997) as i64)),
                        ..PhotoMetadata::default()
                    });
                }
                p
            })
            .collect();
        catalog.insert_photos(&photos).await.expect("insert");
    }
    for query in all_queries() {
        let mut page = PageRequest::first(200);
        let mut times = Vec::new();
        // Every page of the event, so the last ones are as deep as it gets.
        loop {
            let started = Instant::now();
            let got = catalog
                .list_photos(event.event_id, &query, &page)
                .await
                .expect("page");
            times.push(started.elapsed());
            match got.next {
                Some(next) => page = PageRequest::after(200, next),
                None => break,
            }
        }
        let first = times[0];
        let worst = times.iter().max().copied().unwrap_or_default();
        eprintln!(
            "{query:?}: first page {first:?}, worst {worst:?} over {} pages",
            times.len()
        );
        assert!(
            worst < Duration::from_millis(250),
            "{query:?}: a page took {worst:?}"
        );
    }
}
