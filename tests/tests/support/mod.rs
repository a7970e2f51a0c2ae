//! A real `picpass serve` in a child process, and a client speaking its HTTP API.

#![allow(dead_code)] // each test binary uses part of the helpers

pub mod photos;
pub mod retrying;

#[allow(unused_imports)] // each test binary uses some
pub use photos::{small_jpegs, small_pngs, wallpapers};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A running server; killed (SIGKILL) when dropped, so a failing test leaves no process.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its data directory.
    pub data: PathBuf,
    log: PathBuf,
}

impl Server {
    /// Starts a server on a free port over `data`, with extra environment `env`; waits until
    /// it listens. Panics with the server's log if it does not within 60 s.
    pub fn start(data: &Path, env: &[(&str, &str)]) -> Self {
        Self::start_with(data, env, &[])
    }

    /// [`Server::start`] with extra `picpass serve` options.
    pub fn start_with(data: &Path, env: &[(&str, &str)], options: &[&str]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_picpass-e2e-server"));
        command.args(Self::serve_args(data)).args(options);
        for (name, value) in env {
            command.env(name, value);
        }
        Self::launch(command, data)
    }

    /// `serve` on a free loopback port over `data`, the reaper every second.
    pub fn serve_args(data: &Path) -> Vec<String> {
        [
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--reap-every",
            "1",
            "--data",
        ]
        .into_iter()
        .map(str::to_owned)
        .chain([data.display().to_string()])
        .collect()
    }

    /// Runs `command` (which starts `picpass serve`, possibly inside a wrapper) with the
    /// server's log beside `data`; waits until it listens.
    pub fn launch(mut command: Command, data: &Path) -> Self {
        let log = data.with_extension(format!("log-{}", std::process::id()));
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("server log file");
        command
            .env("RUST_LOG", "info")
            .env_remove("PICPASS_PUBLIC_BASE_URL")
            .env_remove("PICPASS_DATA_DIR")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file));
        let offset = std::fs::metadata(&log).map_or(0, |m| m.len());
        let child = command.spawn().expect("start picpass serve");
        let mut server = Self {
            child: Some(child),
            base: String::new(),
            data: data.to_owned(),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = std::fs::read(&server.log).unwrap_or_default();
            let text = String::from_utf8_lossy(text.get(offset as usize..).unwrap_or_default());
            if let Some(rest) = text.split("listening on ").nth(1) {
                server.base = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                return server;
            }
            if let Some(child) = server.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!("picpass serve exited with {status}:\n{text}");
            }
            assert!(
                Instant::now() < deadline,
                "picpass serve did not start:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    /// `kill -9`.
    pub fn kill9(mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL");
            child.wait().expect("reap");
        }
    }

    /// The process id (of the wrapper, when [`Server::launch`] started one).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// SIGTERM; returns the exit status once it exits (within 60 s).
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("picpass serve did not stop within 60 s:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A client of one server, signed in once [`Client::sign_up`] ran.
#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub token: Option<String>,
}

/// A file to upload.
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

impl Upload {
    pub fn from_path(path: &Path) -> Self {
        Self {
            name: path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("photo.jpg")
                .to_owned(),
            bytes: std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
            content_type: "image/jpeg",
        }
    }

    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(&self.bytes))
    }
}

impl Client {
    pub fn new(server: &Server) -> Self {
        Self {
            base: server.base.clone(),
            http: reqwest::Client::new(),
            token: None,
        }
    }

    /// Sends a request; returns the status and JSON body (`Null` when empty).
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call_as(self.token.as_deref(), method, path, body)
            .await
    }

    pub async fn call_as(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let request_method = method;
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        let value = match text.is_empty() {
            true => Value::Null,
            false => serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{path}: body is not JSON ({e}): {text}")),
        };
        check_contract(request_method, path, status, &value);
        (status, value)
    }

    /// Expects `status`; returns the body.
    pub async fn expect(
        &self,
        status: u16,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let (got, value) = self.call(method, path, body).await;
        assert_eq!(got, status, "{method} {path}: {value}");
        value
    }

    /// Signs up `username` and signs in.
    pub async fn sign_up(&mut self, username: &str) {
        let password = "a long enough password";
        self.expect(
            201,
            "POST",
            "/api/auth/signup",
            Some(json!({"username": username, "email": format!("{username}@example.com"), "password": password})),
        )
        .await;
        let session = self
            .expect(
                200,
                "POST",
                "/api/auth/login",
                Some(json!({"login": username, "password": password})),
            )
            .await;
        self.token = Some(session["token"].as_str().expect("token").to_owned());
    }

    /// Creates an event; returns `(event_id, slug)`.
    pub async fn create_event(&self, name: &str) -> (String, String) {
        let event = self
            .expect(
                201,
                "POST",
                "/api/events",
                Some(json!({"name": name, "ttl_seconds": 86_400})),
            )
            .await;
        (
            event["event_id"].as_str().expect("id").to_owned(),
            event["slug"].as_str().expect("slug").to_owned(),
        )
    }

    /// Registers `files` and uploads every single-PUT ticket; returns the tickets.
    pub async fn upload(&self, event_id: &str, files: &[Upload]) -> Vec<Value> {
        let described: Vec<Value> = files
            .iter()
            .map(|f| json!({"name": f.name, "content_type": f.content_type, "bytes": f.bytes.len(), "sha256": f.sha256()}))
            .collect();
        let tickets = self
            .expect(
                200,
                "POST",
                &format!("/api/events/{event_id}/uploads"),
                Some(json!({ "files": described })),
            )
            .await["tickets"]
            .as_array()
            .expect("tickets")
            .clone();
        let puts = tickets
            .iter()
            .zip(files)
            .filter(|(t, _)| t["kind"] == "single");
        futures::future::join_all(puts.map(|(ticket, file)| self.put(ticket, file.bytes.clone())))
            .await;
        tickets
    }

    /// A presigned PUT of `body` with the ticket's headers; returns the response's ETag.
    pub async fn put(&self, ticket: &Value, body: Vec<u8>) -> String {
        let url = ticket["url"].as_str().expect("url");
        let mut request = self.http.put(url).body(body);
        for (name, value) in ticket["headers"].as_object().into_iter().flatten() {
            request = request.header(name.as_str(), value.as_str().unwrap_or_default());
        }
        let response = request.send().await.expect("PUT");
        assert!(
            response.status().is_success(),
            "PUT {url}: {}",
            response.status()
        );
        response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until `count` photos of the event are `ready` (at most `within`).
    pub async fn wait_ready(&self, event_id: &str, count: usize, within: Duration) -> Vec<Value> {
        let deadline = Instant::now() + within;
        loop {
            let photos = self.all_photos(event_id).await;
            let ready: Vec<Value> = photos
                .iter()
                .filter(|p| p["status"] == "ready")
                .cloned()
                .collect();
            let failed: Vec<&Value> = photos.iter().filter(|p| p["status"] == "failed").collect();
            assert!(failed.is_empty(), "photos failed: {failed:?}");
            if ready.len() >= count {
                return ready;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {count} photos ready after {within:?}",
                ready.len()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Every photo of the event, all pages.
    pub async fn all_photos(&self, event_id: &str) -> Vec<Value> {
        let mut photos = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let query = cursor
                .as_ref()
                .map_or(String::new(), |c| format!("&cursor={c}"));
            let page = self
                .expect(
                    200,
                    "GET",
                    &format!("/api/events/{event_id}/photos?limit=200{query}"),
                    None,
                )
                .await;
            photos.extend(page["items"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return photos,
            }
        }
    }

    /// Polls the archive `id` until it is ready (at most `within`); returns the zip's bytes.
    pub async fn wait_for_archive(
        &self,
        gallery: &str,
        token: &str,
        id: &str,
        within: Duration,
    ) -> Vec<u8> {
        let deadline = Instant::now() + within;
        let path = format!("{gallery}/archives/{id}");
        loop {
            let (status, state) = self.call_as(Some(token), "GET", &path, None).await;
            assert_eq!(status, 200, "{state}");
            match state["state"].as_str() {
                Some("ready") => return self.get_bytes(state["url"].as_str().expect("url")).await,
                Some("failed") => panic!("archive failed: {state}"),
                _ => {}
            }
            assert!(Instant::now() < deadline, "archive not ready: {state}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Bytes at a URL (a signed storage URL).
    pub async fn get_bytes(&self, url: &str) -> Vec<u8> {
        let response = self.http.get(url).send().await.expect("GET");
        assert!(
            response.status().is_success(),
            "GET {url}: {}",
            response.status()
        );
        response.bytes().await.expect("bytes").to_vec()
    }
}

/// Every response of a documented route must be what openapi.yaml says (as in the handler
/// tests), here through the whole stack.
pub fn check_contract(method: &str, path: &str, status: u16, body: &Value) {
    use shared::http::{accounts_api, events_api, gallery_api, presign_api};
    use testkit::api::pattern_of;
    let path = path.split('?').next().unwrap_or(path);
    let Ok(parsed) = method.parse::<http::Method>() else {
        return;
    };
    let pattern = pattern_of(accounts_api::router(), &parsed, path)
        .or_else(|| pattern_of(presign_api::router(), &parsed, path))
        .or_else(|| pattern_of(events_api::router(), &parsed, path))
        .or_else(|| pattern_of(gallery_api::router(), &parsed, path));
    if let Some(pattern) = pattern
        && let Err(problem) =
            testkit::openapi::Contract::get().check_response(method, pattern, status, body)
    {
        panic!("{problem}");
    }
}

/// Every object key under the data directory's store (FsBlobs' file names decoded),
/// skipping its hidden working files.
pub fn stored_keys(data: &Path) -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, keys: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let decode = |s: &str| percent_decode(s);
            if let Some(segment) = name.strip_suffix(".d") {
                walk(
                    &entry.path(),
                    &format!("{prefix}{}/", decode(segment)),
                    keys,
                );
            } else if let Some(segment) = name.strip_suffix(".o") {
                keys.push(format!("{prefix}{}", decode(segment)));
            }
        }
    }
    let mut keys = Vec::new();
    walk(&data.join("blobs/objects"), "", &mut keys);
    keys.sort();
    keys
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1..i + 3)) {
            (b'%', Some(hex)) => {
                let hex = std::str::from_utf8(hex).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `unzip -p` of one entry; panics if `unzip -t` finds the archive broken.
pub fn unzip_entries(zip: &[u8], dir: &Path) -> Vec<(String, Vec<u8>)> {
    let path = dir.join("archive.zip");
    std::fs::write(&path, zip).expect("write zip");
    let test = Command::new("unzip")
        .arg("-tq")
        .arg(&path)
        .output()
        .expect("unzip -t");
    assert!(
        test.status.success(),
        "unzip -t: {}",
        String::from_utf8_lossy(&test.stdout)
    );
    let listing = Command::new("unzip")
        .arg("-Z1")
        .arg(&path)
        .output()
        .expect("unzip -Z1");
    String::from_utf8_lossy(&listing.stdout)
        .lines()
        .map(|name| {
            let out = Command::new("unzip")
                .arg("-p")
                .arg(&path)
                .arg(name)
                .output()
                .expect("unzip -p");
            (name.to_owned(), out.stdout)
        })
        .collect()
}

/// Every photo row has its original and exactly its two derivatives; every object of the
/// event belongs to a photo row (or is the event's archive).
pub async fn reconcile(client: &Client, data: &std::path::Path, event_id: &str) {
    let photos: BTreeSet<String> = client
        .all_photos(event_id)
        .await
        .iter()
        .map(|p| p["photo_id"].as_str().expect("id").to_owned())
        .collect();
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for key in stored_keys(data).iter().filter(|k| k.contains(event_id)) {
        let parts: Vec<&str> = key.split('/').collect();
        match parts.as_slice() {
            ["originals", _, _, photo] => seen
                .entry((*photo).to_owned())
                .or_default()
                .push("original".to_owned()),
            ["derived", _, _, photo, variant] => {
                seen.entry((*photo).to_owned())
                    .or_default()
                    .push((*variant).to_owned());
            }
            ["archives", ..] => {}
            other => panic!("unexpected object {other:?}"),
        }
    }
    let orphans: Vec<&String> = seen.keys().filter(|p| !photos.contains(*p)).collect();
    assert!(
        orphans.is_empty(),
        "objects without a photo row: {orphans:?}"
    );
    for photo in &photos {
        let mut objects = seen.get(photo).cloned().unwrap_or_default();
        objects.sort();
        assert_eq!(objects, ["original", "thumb", "web"], "objects of {photo}");
    }
}
