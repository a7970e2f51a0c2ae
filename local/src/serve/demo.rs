//! `picpass serve --demo`: a photographer account, an event of real photos (the Lomiri
//! wallpapers Debian ships in `/usr/share/backgrounds`) and two codes — one for half the
//! photos, one for all — made through the public API like any client would (sign-up, login,
//! presigned uploads), then printed. The account and codes are kept in `<data>/demo.json`,
//! so a second `--demo` on the same data prints them again instead of seeding twice.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Where the wallpaper packages put their photos.
const PHOTO_DIR: &str = "/usr/share/backgrounds";
/// Photos seeded at most (the packages hold about 20).
const MAX_PHOTOS: usize = 24;
/// How long processing may take before the demo reports what it has.
const READY_WAIT: Duration = Duration::from_secs(180);

/// What a demo run made, kept for the next run.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Demo {
    username: String,
    password: String,
    event_id: String,
    slug: String,
    photos: usize,
    family_code: String,
    everyone_code: String,
}

type DemoResult<T> = Result<T, String>;

/// Seeds the demo (once per data directory) and prints how to open it.
pub async fn seed(base: &str, data: &Path) -> DemoResult<()> {
    let saved = data.join("demo.json");
    let demo = match std::fs::read(&saved) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", saved.display()))?
        }
        Err(_) => {
            let demo = Seeder::new(base).run().await?;
            let json = serde_json::to_vec_pretty(&demo).map_err(|e| e.to_string())?;
            write_private(&saved, &json).map_err(|e| format!("{}: {e}", saved.display()))?;
            demo
        }
    };
    print(base, &demo);
    Ok(())
}

/// The file holds a password: readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn print(base: &str, demo: &Demo) {
    println!(
        "\nPicPass demo is ready ({} photos)\n\
         \n  photographer app  {base}/\n    login           {}\n    password        {}\n\
         \n  viewer gallery    {base}/e/{}/{}\n    code (half)     {}\n    code (all)      {}\n",
        demo.photos,
        demo.username,
        demo.password,
        demo.username,
        demo.slug,
        demo.family_code,
        demo.everyone_code
    );
}

/// The wallpapers to upload: JPEGs, sorted by name for a stable demo.
fn demo_photos() -> DemoResult<Vec<PathBuf>> {
    let entries = std::fs::read_dir(PHOTO_DIR).map_err(|e| {
        format!("{PHOTO_DIR}: {e} (install the photos: apt-get install lomiri-wallpapers-20.04)")
    })?;
    let mut photos: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("jpeg"))
        })
        .collect();
    photos.sort();
    photos.truncate(MAX_PHOTOS);
    match photos.is_empty() {
        true => Err(format!(
            "no photos in {PHOTO_DIR} (apt-get install lomiri-wallpapers-20.04)"
        )),
        false => Ok(photos),
    }
}

struct Seeder {
    base: String,
    http: reqwest::Client,
    token: String,
}

impl Seeder {
    fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            http: reqwest::Client::new(),
            token: String::new(),
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> DemoResult<Value> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if !self.token.is_empty() {
            request = request.bearer_auth(&self.token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| format!("{path}: {e}"))?;
        let status = response.status();
        let value: Value = response.json().await.unwrap_or(Value::Null);
        match status.is_success() {
            true => Ok(value),
            false => Err(format!("{path}: {status} {value}")),
        }
    }

    async fn run(mut self) -> DemoResult<Demo> {
        let photos = demo_photos()?;
        let mut password_bytes = [0u8; 12];
        getrandom::fill(&mut password_bytes).map_err(|e| e.to_string())?;
        let password = hex::encode(password_bytes);
        let username = "demo".to_owned();
        self.call(
            reqwest::Method::POST,
            "/api/auth/signup",
            Some(json!({"username": username, "email": "demo@picpass.invalid", "password": password})),
        )
        .await?;
        let session = self
            .call(
                reqwest::Method::POST,
                "/api/auth/login",
                Some(json!({"login": username, "password": password})),
            )
            .await?;
        self.token = session["token"].as_str().unwrap_or_default().to_owned();
        let event = self
            .call(
                reqwest::Method::POST,
                "/api/events",
                Some(json!({"name": "Demo - Lomiri wallpapers", "ttl_seconds": 30 * 86_400})),
            )
            .await?;
        let event_id = event["event_id"].as_str().unwrap_or_default().to_owned();
        let slug = event["slug"].as_str().unwrap_or_default().to_owned();
        let photo_ids = self.upload(&event_id, &photos).await?;
        self.wait_until_ready(&event_id, photo_ids.len()).await?;
        let half: Vec<&String> = photo_ids.iter().take(photo_ids.len().div_ceil(2)).collect();
        let codes = format!("/api/events/{event_id}/codes");
        let family = self
            .call(
                reqwest::Method::POST,
                &codes,
                Some(json!({"label": "Family (half the photos)", "photo_ids": half})),
            )
            .await?;
        let everyone = self
            .call(
                reqwest::Method::POST,
                &codes,
                Some(json!({"label": "Everyone", "all": true})),
            )
            .await?;
        Ok(Demo {
            username,
            password,
            event_id,
            slug,
            photos: photo_ids.len(),
            family_code: family["code"].as_str().unwrap_or_default().to_owned(),
            everyone_code: everyone["code"].as_str().unwrap_or_default().to_owned(),
        })
    }

    /// Uploads every photo through its presigned PUT; returns their ids.
    async fn upload(&self, event_id: &str, photos: &[PathBuf]) -> DemoResult<Vec<String>> {
        let mut files = Vec::new();
        let mut bodies = Vec::new();
        for path in photos {
            let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("photo.jpg");
            files.push(json!({
                "name": name,
                "content_type": "image/jpeg",
                "bytes": bytes.len(),
                "sha256": hex::encode(Sha256::digest(&bytes)),
            }));
            bodies.push(bytes);
        }
        let tickets = self
            .call(
                reqwest::Method::POST,
                &format!("/api/events/{event_id}/uploads"),
                Some(json!({ "files": files })),
            )
            .await?;
        let mut ids = Vec::new();
        let tickets = tickets["tickets"].as_array().cloned().unwrap_or_default();
        for (ticket, body) in tickets.iter().zip(bodies) {
            ids.push(ticket["photo_id"].as_str().unwrap_or_default().to_owned());
            match ticket["kind"].as_str() {
                Some("single") => self.put(ticket, body).await?,
                Some("duplicate") => {}
                other => return Err(format!("demo photos are single uploads, got {other:?}")),
            }
        }
        Ok(ids)
    }

    async fn put(&self, ticket: &Value, body: Vec<u8>) -> DemoResult<()> {
        let url = ticket["url"].as_str().unwrap_or_default();
        let mut request = self.http.put(url).body(body);
        if let Some(headers) = ticket["headers"].as_object() {
            for (name, value) in headers {
                request = request.header(name.as_str(), value.as_str().unwrap_or_default());
            }
        }
        let response = request.send().await.map_err(|e| format!("upload: {e}"))?;
        match response.status().is_success() {
            true => Ok(()),
            false => Err(format!("upload: {}", response.status())),
        }
    }

    async fn wait_until_ready(&self, event_id: &str, count: usize) -> DemoResult<()> {
        let started = Instant::now();
        let path = format!("/api/events/{event_id}/photos?status=ready&limit=200");
        loop {
            let page = self.call(reqwest::Method::GET, &path, None).await?;
            let ready = page["items"].as_array().map_or(0, Vec::len);
            if ready >= count {
                return Ok(());
            }
            if started.elapsed() > READY_WAIT {
                return Err(format!(
                    "only {ready} of {count} photos ready after {READY_WAIT:?}"
                ));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}
