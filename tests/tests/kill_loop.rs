//! `kill -9` five times at (seeded) random moments while 300 photos upload and process,
//! codes are made and changed, and archives build (the last kill lands with three
//! archives just requested); restarted each time on the same data
//! directory and port. The end state is the one without kills: every photo `ready` once
//! with exactly its three objects, every code with its last label, every archive complete
//! with every photo, and storage reconciled with the catalog.
//!
//! The client acts as a real one would: a request cut off by a kill, refused while the
//! server is down, or answered 503 is sent again. (A `POST` creating a code that was cut
//! off may have created it: the client then finds it by its label rather than make two.)

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::retrying::Retrying;
use support::{Client, Server, reconcile, small_pngs, unzip_entries};

const PHOTOS: usize = 300;
const BATCH: usize = 20;
const KILLS: usize = 5;
const CODES: usize = 3;

/// A small deterministic generator (xorshift64*), so a failure replays.
struct Seeded(u64);

impl Seeded {
    fn next_millis(&mut self, from: u64, to: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        from + self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % (to - from)
    }
}

fn start_on(data: &Path, addr: &str) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_picpass-e2e-server"));
    command
        .args(["serve", "--addr", addr, "--reap-every", "1", "--data"])
        .arg(data);
    Server::launch(command, data)
}

fn free_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("address").to_string()
}

/// Creates the code labelled `label` unless a cut-off attempt already did: a `POST` is
/// sent once per attempt, and before each the list is searched for the label.
async fn create_code_once(api: &Retrying, codes_path: &str, label: &str) -> Value {
    let client = &api.client;
    let token = client.token.as_deref();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let listed = api.expect(token, 200, "GET", codes_path, None).await;
        if let Some(code) = listed["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["label"] == label)
        {
            return code.clone();
        }
        let sent = client
            .http
            .post(format!("{}{codes_path}", client.base))
            .bearer_auth(token.unwrap_or_default())
            .json(&json!({"label": label, "all": true}))
            .timeout(Duration::from_secs(30))
            .send()
            .await;
        if let Ok(response) = sent
            && response.status().as_u16() == 201
            && let Ok(code) = response.json::<Value>().await
        {
            return code;
        }
        assert!(Instant::now() < deadline, "no code created in two minutes");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The workload: uploads in batches, codes made and renamed, then archives.
async fn workload(
    client: Client,
    event_id: String,
    slug: String,
    dir: PathBuf,
    progress: Arc<AtomicUsize>,
) {
    let uploads = small_pngs(PHOTOS);
    let api = Retrying::new(client, true);
    let client = &api.client;
    let token = client.token.clone();
    let token = token.as_deref();
    for batch in uploads.chunks(BATCH) {
        let described: Vec<Value> = batch
            .iter()
            .map(|f| json!({"name": f.name, "content_type": f.content_type, "bytes": f.bytes.len(), "sha256": f.sha256()}))
            .collect();
        let tickets = api
            .expect(
                token,
                200,
                "POST",
                &format!("/api/events/{event_id}/uploads"),
                Some(json!({ "files": described })),
            )
            .await;
        for (ticket, file) in tickets["tickets"]
            .as_array()
            .expect("tickets")
            .iter()
            .zip(batch)
        {
            // A batch registered again after a kill: what was already stored is a duplicate.
            if ticket["kind"] == "single" {
                api.put(ticket, &file.bytes).await;
            }
            progress.fetch_add(1, Ordering::SeqCst);
        }
    }

    let codes_path = format!("/api/events/{event_id}/codes");
    let mut codes = Vec::new();
    for n in 0..CODES {
        let label = format!("guests {n}");
        let code = create_code_once(&api, &codes_path, &label).await;
        let id = code["code_id"].as_str().expect("code id").to_owned();
        api.expect(
            token,
            200,
            "PATCH",
            &format!("{codes_path}/{id}"),
            Some(json!({"label": format!("family {n}")})),
        )
        .await;
        codes.push(code["code"].as_str().expect("code").to_owned());
        progress.fetch_add(1, Ordering::SeqCst);
    }

    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let listed = api.photos(&event_id).await;
        if listed.iter().filter(|p| p["status"] == "ready").count() == PHOTOS {
            break;
        }
        if Instant::now() > deadline {
            let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
            for photo in &listed {
                *by_status.entry(photo["status"].to_string()).or_default() += 1;
            }
            let stuck: Vec<&Value> = listed
                .iter()
                .filter(|p| p["status"] != "ready")
                .take(3)
                .collect();
            panic!(
                "photos not ready in five minutes: {} listed, {by_status:?}; e.g. {stuck:?}",
                listed.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // Three archives requested at once, then built while the server is killed again.
    let gallery = format!("/api/g/hardy/{slug}");
    let mut archives = Vec::new();
    for code in &codes {
        let viewer = api
            .expect(
                None,
                200,
                "POST",
                &format!("{gallery}/unlock"),
                Some(json!({ "code": code })),
            )
            .await;
        let viewer = viewer["token"].as_str().expect("viewer token").to_owned();
        let (status, requested) = api
            .call(
                Some(&viewer),
                "POST",
                &format!("{gallery}/archives"),
                Some(json!({"all": true})),
            )
            .await;
        // 202 queued; the same request again after a cut-off answer finds it (200 or 202).
        assert!(matches!(status, 200 | 202), "{status} {requested}");
        archives.push((
            viewer,
            requested["archive_id"]
                .as_str()
                .expect("archive id")
                .to_owned(),
        ));
        progress.fetch_add(1, Ordering::SeqCst);
    }
    for (n, (viewer, id)) in archives.iter().enumerate() {
        let zip = api.archive(&gallery, viewer, id).await;
        let unzipped = dir.join(format!("zip-{n}"));
        std::fs::create_dir_all(&unzipped).expect("a directory for the zip");
        let entries: BTreeMap<String, Vec<u8>> =
            unzip_entries(&zip, &unzipped).into_iter().collect();
        assert_eq!(entries.len(), PHOTOS, "archive {n}");
        for upload in &uploads {
            assert_eq!(
                entries.get(&upload.name),
                Some(&upload.bytes),
                "{} in archive {n}",
                upload.name
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_kills_during_uploads_codes_and_archives_change_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let addr = free_port();
    let server = Arc::new(Mutex::new(Some(start_on(&data, &addr))));
    let mut client = Client::new(server.lock().expect("server").as_ref().expect("running"));
    client.sign_up("hardy").await;
    let (event_id, slug) = client.create_event("Kill loop").await;

    // Kill points in steps of the workload (a step: a photo stored, a code made and renamed,
    // an archive requested): four at random during uploads (processing runs meanwhile), the
    // last one with all three archives just requested.
    let mut random = Seeded(0x5eed_2026_1204);
    let mut points: Vec<usize> = (0..KILLS - 1)
        .map(|k| {
            let span = PHOTOS as u64 / (KILLS as u64 - 1);
            (k as u64 * span + random.next_millis(5, span)) as usize
        })
        .collect();
    points.push(PHOTOS + CODES + CODES);
    let progress = Arc::new(AtomicUsize::new(0));
    let work = tokio::spawn(workload(
        client.clone(),
        event_id.clone(),
        slug,
        dir.path().to_owned(),
        Arc::clone(&progress),
    ));
    for (kill, point) in points.iter().enumerate() {
        while progress.load(Ordering::SeqCst) < *point {
            assert!(
                !work.is_finished(),
                "the workload ended before kill {}",
                kill + 1
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let running = server.lock().expect("server").take().expect("running");
        running.kill9();
        eprintln!("kill {} of {KILLS} at step {point}", kill + 1);
        let restarted = start_on(&data, &addr);
        *server.lock().expect("server") = Some(restarted);
    }
    if let Err(failure) = work.await {
        let log = data.with_extension(format!("log-{}", std::process::id()));
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(60).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        panic!(
            "the workload failed ({failure}); the server's log ends:\n{}",
            tail.join("\n")
        );
    }

    // The end state: every photo once, ready, with exactly its objects; codes as last named.
    let api = Retrying::new(client.clone(), true);
    let listed = api.photos(&event_id).await;
    assert_eq!(listed.len(), PHOTOS);
    let names: BTreeSet<&str> = listed
        .iter()
        .filter_map(|p| p["filename"].as_str())
        .collect();
    assert_eq!(names.len(), PHOTOS, "each photo once");
    assert!(listed.iter().all(|p| p["status"] == "ready"));
    reconcile(&client, &data, &event_id).await;
    let codes = api
        .expect(
            client.token.as_deref(),
            200,
            "GET",
            &format!("/api/events/{event_id}/codes"),
            None,
        )
        .await;
    let labels: BTreeSet<&str> = codes["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["label"].as_str())
        .collect();
    let expected: BTreeSet<String> = (0..CODES).map(|n| format!("family {n}")).collect();
    assert_eq!(labels, expected.iter().map(String::as_str).collect());
}
