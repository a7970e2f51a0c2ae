//! Load: 64 viewers and 8 uploaders against one `picpass serve` for 60 s
//! (`PICPASS_LOAD_SECS` to change it), all on loopback. Viewers open the gallery, page
//! through their photos, load thumbnails and web sizes from storage and ask for downloads;
//! uploaders register batches of small real JPEGs and store them while processing runs.
//! No answer may be a 5xx (a 503 counts too: nothing here overloads a healthy server), and
//! the server's memory must stay flat: its RSS at the end within 64 MiB of its RSS after
//! the first 15 s. Latencies (p50 / p99) and RSS samples are printed as the figures.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Client, Server, Upload, small_jpegs};
use tokio::sync::Mutex;

const VIEWERS: usize = 64;
const UPLOADERS: usize = 8;
/// Photos in the gallery before the viewers start.
const GALLERY: usize = 60;
/// Files each uploads call registers.
const BATCH: usize = 5;
/// Most photos the uploaders store (a cap, in case the machine is fast).
const MAX_UPLOADS: usize = 6_000;

/// What every client records: latencies in milliseconds, and answers by class.
#[derive(Default)]
struct Tally {
    viewer_ms: Vec<f64>,
    uploader_ms: Vec<f64>,
    server_errors: Vec<String>,
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let index = ((values.len() as f64 - 1.0) * p).round() as usize;
    values.get(index).copied().unwrap_or(f64::NAN)
}

/// One request; records its latency and any 5xx. Returns status and JSON body.
async fn timed(
    tally: &Mutex<Tally>,
    viewer: bool,
    request: reqwest::RequestBuilder,
    what: &str,
) -> (u16, Value) {
    let started = Instant::now();
    let response = request
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut tally = tally.lock().await;
    if viewer {
        tally.viewer_ms.push(ms);
    } else {
        tally.uploader_ms.push(ms);
    }
    if status >= 500 {
        tally.server_errors.push(format!(
            "{what}: {status} {}",
            String::from_utf8_lossy(&body)
        ));
    }
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn viewer(
    client: Client,
    gallery: String,
    token: String,
    tally: Arc<Mutex<Tally>>,
    stop: Arc<AtomicBool>,
    n: usize,
) {
    let http = &client.http;
    let base = &client.base;
    let mut round = n;
    while !stop.load(Ordering::Relaxed) {
        round += 1;
        let (status, _) = timed(
            &tally,
            true,
            http.get(format!("{base}{gallery}")),
            "landing",
        )
        .await;
        assert_eq!(status, 200, "landing");
        let (status, page) = timed(
            &tally,
            true,
            http.get(format!("{base}{gallery}/photos?limit=24"))
                .bearer_auth(&token),
            "photos",
        )
        .await;
        assert_eq!(status, 200, "photos: {page}");
        let items = page["items"].as_array().cloned().unwrap_or_default();
        assert!(!items.is_empty(), "the viewer sees no photos");
        for photo in items.iter().skip(round % 4).step_by(4) {
            for url in [&photo["thumb_url"], &photo["web_url"]] {
                let url = url.as_str().expect("url");
                let (status, _) = timed(&tally, true, http.get(url), "thumbnail").await;
                assert_eq!(status, 200, "GET {url}");
            }
        }
        let photo = &items[round % items.len()];
        let id = photo["photo_id"].as_str().expect("photo id");
        let (status, download) = timed(
            &tally,
            true,
            http.get(format!("{base}{gallery}/photos/{id}/download"))
                .bearer_auth(&token),
            "download",
        )
        .await;
        assert_eq!(status, 200, "download: {download}");
    }
}

async fn uploader(
    client: Client,
    event_id: String,
    files: Arc<Vec<Upload>>,
    next: Arc<AtomicUsize>,
    tally: Arc<Mutex<Tally>>,
    stop: Arc<AtomicBool>,
) {
    let token = client.token.clone().expect("signed in");
    while !stop.load(Ordering::Relaxed) {
        let from = next.fetch_add(BATCH, Ordering::Relaxed);
        let Some(batch) = files.get(from..from + BATCH) else {
            return;
        };
        let described: Vec<Value> = batch
            .iter()
            .map(|f| json!({"name": f.name, "content_type": f.content_type, "bytes": f.bytes.len(), "sha256": f.sha256()}))
            .collect();
        let (status, tickets) = timed(
            &tally,
            false,
            client
                .http
                .post(format!("{}/api/events/{event_id}/uploads", client.base))
                .bearer_auth(&token)
                .json(&json!({ "files": described })),
            "uploads",
        )
        .await;
        assert_eq!(status, 200, "uploads: {tickets}");
        for (ticket, file) in tickets["tickets"]
            .as_array()
            .expect("tickets")
            .iter()
            .zip(batch)
        {
            let mut put = client
                .http
                .put(ticket["url"].as_str().expect("url"))
                .body(file.bytes.clone());
            for (name, value) in ticket["headers"].as_object().into_iter().flatten() {
                put = put.header(name.as_str(), value.as_str().unwrap_or_default());
            }
            let (status, _) = timed(&tally, false, put, "PUT").await;
            assert!((200..300).contains(&status), "PUT: {status}");
        }
    }
}

/// The server's resident memory in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS");
    kib / 1024.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_and_uploaders_see_no_server_error_and_memory_stays_flat() {
    let seconds: u64 = std::env::var("PICPASS_LOAD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let dir = tempfile::tempdir().expect("dir");
    let server = Server::start(&dir.path().join("data"), &[]);
    let mut client = Client::new(&server);
    client.sign_up("busy").await;
    let (event_id, slug) = client.create_event("Load").await;
    let files = small_jpegs(GALLERY + MAX_UPLOADS);
    client.upload(&event_id, &files[..GALLERY]).await;
    client
        .wait_ready(&event_id, GALLERY, Duration::from_secs(120))
        .await;
    let code = client
        .expect(
            201,
            "POST",
            &format!("/api/events/{event_id}/codes"),
            Some(json!({"label": "everyone", "all": true})),
        )
        .await["code"]
        .as_str()
        .expect("code")
        .to_owned();
    let gallery = format!("/api/g/busy/{slug}");

    let tally = Arc::new(Mutex::new(Tally::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicUsize::new(GALLERY));
    let files = Arc::new(files);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..VIEWERS {
        // One after another: a burst of more than 10 unlocks at once from one address is
        // refused as a guessing attack (attempts are counted before their code is looked
        // at; right ones are taken off after), so guests at one venue arrive in turn.
        let viewer_client = Client::new(&server);
        let unlocked = viewer_client
            .expect(
                200,
                "POST",
                &format!("{gallery}/unlock"),
                Some(json!({ "code": code })),
            )
            .await;
        let token = unlocked["token"].as_str().expect("viewer token").to_owned();
        tasks.spawn(viewer(
            viewer_client,
            gallery.clone(),
            token,
            Arc::clone(&tally),
            Arc::clone(&stop),
            n,
        ));
    }
    for _ in 0..UPLOADERS {
        tasks.spawn(uploader(
            client.clone(),
            event_id.clone(),
            Arc::clone(&files),
            Arc::clone(&next),
            Arc::clone(&tally),
            Arc::clone(&stop),
        ));
    }
    let started = Instant::now();
    let mut samples = Vec::new();
    while started.elapsed() < Duration::from_secs(seconds) {
        tokio::time::sleep(Duration::from_secs(5)).await;
        samples.push((started.elapsed().as_secs(), rss_mib(server.pid())));
        if let Some(Err(failure)) = tasks.try_join_next() {
            panic!("a client failed: {failure}");
        }
    }
    stop.store(true, Ordering::Relaxed);
    while let Some(joined) = tasks.join_next().await {
        if let Err(failure) = joined {
            panic!("a client failed: {failure}");
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let uploaded = next.load(Ordering::Relaxed).min(GALLERY + MAX_UPLOADS) - GALLERY;
    let mut tally = tally.lock().await;
    let viewer_requests = tally.viewer_ms.len();
    let uploader_requests = tally.uploader_ms.len();
    let figures = format!(
        "{VIEWERS} viewers + {UPLOADERS} uploaders for {elapsed:.0} s: viewers {viewer_requests} requests ({:.0}/s), p50 {:.1} ms, p99 {:.1} ms; uploaders {uploaded} photos ({uploader_requests} requests), p50 {:.1} ms, p99 {:.1} ms; 5xx {}; RSS MiB {:?}",
        viewer_requests as f64 / elapsed,
        percentile(&mut tally.viewer_ms, 0.5),
        percentile(&mut tally.viewer_ms, 0.99),
        percentile(&mut tally.uploader_ms, 0.5),
        percentile(&mut tally.uploader_ms, 0.99),
        tally.server_errors.len(),
        samples
            .iter()
            .map(|(s, m)| format!("{s}s {m:.0}"))
            .collect::<Vec<_>>(),
    );
    eprintln!("{figures}");
    assert!(
        tally.server_errors.is_empty(),
        "{figures}\n{:?}",
        &tally.server_errors[..tally.server_errors.len().min(5)]
    );
    let warm = samples
        .iter()
        .find(|(s, _)| *s >= 15)
        .or(samples.last())
        .map(|(_, m)| *m)
        .expect("RSS samples");
    let end = samples.last().map(|(_, m)| *m).expect("RSS samples");
    assert!(
        end <= warm + 64.0,
        "RSS grew from {warm:.0} to {end:.0} MiB: {figures}"
    );
}
