//! Fault injection: `picpass serve --inject-faults error-every=7` fails every 7th call of
//! the catalog, of the blob store and of the queues, while 1,000 small real JPEGs are
//! uploaded and processed and 20 archives are built. Every photo must end `ready` once with
//! exactly its objects, every archive complete with the right bytes; clients may see only
//! `503` with `Retry-After` (and retry), never a `500`. Then the server is stopped and
//! started again without faults, and storage is reconciled with the catalog.
//!
//! A second test stalls every 23rd call past a short call timeout (`stall-every=23`,
//! `--call-timeout-ms 300`): nothing may hang, and nothing may be lost.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};
use support::retrying::Retrying;
use support::{Client, Server, Upload, reconcile, small_jpegs, unzip_entries};

/// Files per uploads call.
const BATCH: usize = 50;
/// PUTs in flight at once.
const PUTS_AT_ONCE: usize = 8;

/// Signs up (a retried sign-up may find its account made), creates the event (likewise),
/// and returns `(event_id, slug)`.
async fn account_and_event(api: &mut Retrying, username: &str) -> (String, String) {
    let password = "a long enough password";
    let (status, body) = api
        .call(
            None,
            "POST",
            "/api/auth/signup",
            Some(json!({"username": username, "email": format!("{username}@example.com"), "password": password})),
        )
        .await;
    assert!(matches!(status, 201 | 409), "sign-up: {status} {body}");
    let session = api
        .expect(
            None,
            200,
            "POST",
            "/api/auth/login",
            Some(json!({"login": username, "password": password})),
        )
        .await;
    api.client.token = Some(session["token"].as_str().expect("token").to_owned());
    let token = api.client.token.clone();
    let (status, event) = api
        .call(
            token.as_deref(),
            "POST",
            "/api/events",
            Some(json!({"name": "Faults", "ttl_seconds": 86_400})),
        )
        .await;
    let event = match status {
        201 => event,
        409 => {
            let events = api
                .expect(token.as_deref(), 200, "GET", "/api/events", None)
                .await;
            events["items"][0].clone()
        }
        other => panic!("create event: {other} {event}"),
    };
    (
        event["event_id"].as_str().expect("event id").to_owned(),
        event["slug"].as_str().expect("slug").to_owned(),
    )
}

/// Registers and stores every file; a file registered again after a lost answer comes back
/// as a duplicate and is not sent twice.
async fn upload_all(api: &Retrying, event_id: &str, uploads: &[Upload]) {
    let token = api.client.token.clone();
    for batch in uploads.chunks(BATCH) {
        let described: Vec<Value> = batch
            .iter()
            .map(|f| json!({"name": f.name, "content_type": f.content_type, "bytes": f.bytes.len(), "sha256": f.sha256()}))
            .collect();
        let tickets = api
            .expect(
                token.as_deref(),
                200,
                "POST",
                &format!("/api/events/{event_id}/uploads"),
                Some(json!({ "files": described })),
            )
            .await;
        let tickets = tickets["tickets"].as_array().expect("tickets").clone();
        futures::stream::iter(tickets.iter().zip(batch))
            .filter(|(ticket, _)| std::future::ready(ticket["kind"] == "single"))
            .for_each_concurrent(PUTS_AT_ONCE, |(ticket, file)| api.put(ticket, &file.bytes))
            .await;
    }
}

/// The last lines of the server's log, for a failure message.
fn log_tail(server: &Server) -> String {
    let log = server.log();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// Waits until all `count` photos are `ready` (none `failed`).
async fn wait_ready(
    api: &Retrying,
    server: &Server,
    event_id: &str,
    count: usize,
    within: Duration,
) {
    let deadline = Instant::now() + within;
    loop {
        let listed = api.photos(event_id).await;
        let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
        for photo in &listed {
            *by_status
                .entry(photo["status"].as_str().unwrap_or("?").to_owned())
                .or_default() += 1;
        }
        let failed: Vec<&Value> = listed.iter().filter(|p| p["status"] == "failed").collect();
        assert!(failed.is_empty(), "photos failed: {failed:?}");
        if listed.len() == count && by_status.get("ready") == Some(&count) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not all ready after {within:?}: {} listed, {by_status:?}; the server's log ends:\n{}",
            listed.len(),
            log_tail(server)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Requests one archive per slice of `slices` photos, waits for each and checks its entries
/// are exactly the slice's files, byte for byte.
async fn archives(
    api: &Retrying,
    gallery: &str,
    viewer: &str,
    photos: &[Value],
    uploads: &[Upload],
    slices: usize,
    dir: &Path,
) {
    let by_name: BTreeMap<&str, &Upload> = uploads.iter().map(|u| (u.name.as_str(), u)).collect();
    let per_archive = photos.len().div_ceil(slices);
    let mut requested = Vec::new();
    for slice in photos.chunks(per_archive) {
        let ids: Vec<&str> = slice
            .iter()
            .filter_map(|p| p["photo_id"].as_str())
            .collect();
        let (status, answer) = api
            .call(
                Some(viewer),
                "POST",
                &format!("{gallery}/archives"),
                Some(json!({ "photo_ids": ids })),
            )
            .await;
        // 202 queued; asked again after a lost answer, the same archive (200 or 202).
        assert!(matches!(status, 200 | 202), "{status} {answer}");
        let id = answer["archive_id"]
            .as_str()
            .expect("archive id")
            .to_owned();
        requested.push((id, slice));
    }
    let ids: BTreeSet<&String> = requested.iter().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), slices, "one archive per selection");
    for (n, (id, slice)) in requested.iter().enumerate() {
        let zip = api.archive(gallery, viewer, id).await;
        let unzipped = dir.join(format!("zip-{n}"));
        std::fs::create_dir_all(&unzipped).expect("a directory for the zip");
        let entries = unzip_entries(&zip, &unzipped);
        assert_eq!(entries.len(), slice.len(), "entries of archive {n}");
        for (name, bytes) in &entries {
            let upload = by_name
                .get(name.as_str())
                .unwrap_or_else(|| panic!("{name}?"));
            assert_eq!(bytes, &upload.bytes, "{name} in archive {n}");
        }
    }
}

/// The whole workload under `options`; returns the server's fault summary line.
async fn workload_survives(photos: usize, slices: usize, options: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let server = Server::start_with(&data, &[], options);
    let mut api = Retrying::new(Client::new(&server), false);
    let (event_id, slug) = account_and_event(&mut api, "faulty").await;
    let uploads = small_jpegs(photos);
    upload_all(&api, &event_id, &uploads).await;
    wait_ready(&api, &server, &event_id, photos, Duration::from_secs(300)).await;

    let token = api.client.token.clone();
    let (status, code) = api
        .call(
            token.as_deref(),
            "POST",
            &format!("/api/events/{event_id}/codes"),
            Some(json!({"label": "everyone", "all": true})),
        )
        .await;
    assert_eq!(status, 201, "{code}");
    let gallery = format!("/api/g/faulty/{slug}");
    let viewer = api
        .expect(
            None,
            200,
            "POST",
            &format!("{gallery}/unlock"),
            Some(json!({ "code": code["code"] })),
        )
        .await;
    let viewer = viewer["token"].as_str().expect("viewer token").to_owned();
    let listed = api.photos(&event_id).await;
    archives(
        &api,
        &gallery,
        &viewer,
        &listed,
        &uploads,
        slices,
        dir.path(),
    )
    .await;
    let retried = api.unavailable();

    // Stopped cleanly, the server says what it injected; restarted without faults, the
    // stored state must be whole.
    let log_before = server.log();
    assert!(server.terminate().success(), "{log_before}");
    let summary =
        std::fs::read_to_string(data.with_extension(format!("log-{}", std::process::id())))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.split("faults injected: ").nth(1).map(str::to_owned))
            .expect("the server's fault summary");
    let server = Server::start(&data, &[]);
    let mut client = Client::new(&server);
    client.token = api.client.token.clone();
    let listed = client.all_photos(&event_id).await;
    assert_eq!(listed.len(), photos);
    let names: BTreeSet<&str> = listed
        .iter()
        .filter_map(|p| p["filename"].as_str())
        .collect();
    assert_eq!(names.len(), photos, "each photo once");
    assert!(listed.iter().all(|p| p["status"] == "ready"));
    reconcile(&client, &data, &event_id).await;
    let report = format!("{summary}; {retried} answers of 503 retried by the clients");
    eprintln!("{photos} photos and {slices} archives under {options:?}: {report}");
    report
}

/// The injected counts of one port in the summary (`catalog 12/85 calls`).
fn injected(summary: &str, port: &str) -> u64 {
    summary
        .split(", ")
        .find_map(|part| part.strip_prefix(&format!("{port} ")))
        .and_then(|rest| rest.split('/').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {port} count in {summary:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_seventh_call_failing_loses_no_photo_and_no_archive() {
    let summary = workload_survives(1_000, 20, &["--inject-faults", "error-every=7"]).await;
    for port in ["catalog", "blobs", "queue"] {
        assert!(injected(&summary, port) > 50, "{port}: {summary}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_stalling_past_their_timeout_hang_nothing_and_lose_nothing() {
    let summary = workload_survives(
        120,
        3,
        &[
            "--inject-faults",
            "stall-every=23",
            "--call-timeout-ms",
            "300",
        ],
    )
    .await;
    for port in ["catalog", "blobs", "queue"] {
        assert!(injected(&summary, port) > 0, "{port}: {summary}");
    }
}
