//! A client that behaves as a real one does when the service has trouble: a `503` is sent
//! again after its `Retry-After` (which it must carry), and — when the test kills the
//! server — a request cut off or refused is sent again too. Anything else ≥ 500 fails the
//! test, and every answer of a documented route is checked against openapi.yaml.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Client, check_contract};

/// How long one request may keep being retried.
const PATIENCE: Duration = Duration::from_secs(120);

/// A [`Client`] that retries.
pub struct Retrying {
    /// The client underneath.
    pub client: Client,
    /// Whether a request cut off or refused (the server killed) is retried rather than a
    /// failure of the test.
    pub disconnects_allowed: bool,
    unavailable: AtomicUsize,
}

impl Retrying {
    pub fn new(client: Client, disconnects_allowed: bool) -> Self {
        Self {
            client,
            disconnects_allowed,
            unavailable: AtomicUsize::new(0),
        }
    }

    /// How many `503` answers were retried so far.
    pub fn unavailable(&self) -> usize {
        self.unavailable.load(Ordering::Relaxed)
    }

    /// The pause a `503` asks for (capped: the test has no minute to spare), failing the test
    /// if it carries no `Retry-After`.
    fn after_unavailable(&self, response: &reqwest::Response, what: &str) -> Duration {
        self.unavailable.fetch_add(1, Ordering::Relaxed);
        let seconds = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let seconds = seconds.unwrap_or_else(|| panic!("{what}: 503 without Retry-After"));
        Duration::from_secs(seconds).min(Duration::from_millis(200))
    }

    fn connection_failed(&self, what: &str, error: &reqwest::Error) {
        assert!(self.disconnects_allowed, "{what}: {error}");
    }

    /// Sends until the server answers something other than 503; returns status and body.
    pub async fn call(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let what = format!("{method} {path}");
        let deadline = Instant::now() + PATIENCE;
        loop {
            let mut request = self
                .client
                .http
                .request(
                    method.parse().expect("method"),
                    format!("{}{path}", self.client.base),
                )
                .timeout(Duration::from_secs(30));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            if let Some(body) = &body {
                request = request.json(body);
            }
            let pause = match request.send().await {
                Ok(response) if response.status().as_u16() == 503 => {
                    self.after_unavailable(&response, &what)
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    match response.text().await {
                        Ok(text) => {
                            let value = serde_json::from_str(&text).unwrap_or(Value::Null);
                            assert!(status < 500, "{what}: {status} {value}");
                            check_contract(method, path, status, &value);
                            return (status, value);
                        }
                        Err(error) => {
                            self.connection_failed(&what, &error);
                            Duration::from_millis(200)
                        }
                    }
                }
                Err(error) => {
                    self.connection_failed(&what, &error);
                    Duration::from_millis(200)
                }
            };
            assert!(
                Instant::now() < deadline,
                "{what}: no answer but 503 for {PATIENCE:?}"
            );
            tokio::time::sleep(pause).await;
        }
    }

    /// [`Retrying::call`], expecting `status`; returns the body.
    pub async fn expect(
        &self,
        token: Option<&str>,
        status: u16,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let (got, value) = self.call(token, method, path, body).await;
        assert_eq!(got, status, "{method} {path}: {value}");
        value
    }

    /// PUTs `body` with the ticket's URL and headers until it is stored.
    pub async fn put(&self, ticket: &Value, body: &[u8]) {
        let url = ticket["url"].as_str().expect("url");
        let deadline = Instant::now() + PATIENCE;
        loop {
            let mut request = self
                .client
                .http
                .put(url)
                .body(body.to_vec())
                .timeout(Duration::from_secs(30));
            for (name, value) in ticket["headers"].as_object().into_iter().flatten() {
                request = request.header(name.as_str(), value.as_str().unwrap_or_default());
            }
            let pause = match request.send().await {
                Ok(response) if response.status().is_success() => return,
                Ok(response) if response.status().as_u16() == 503 => {
                    self.after_unavailable(&response, "PUT")
                }
                Ok(response) => {
                    assert!(
                        self.disconnects_allowed && response.status().is_server_error(),
                        "PUT refused: {}",
                        response.status()
                    );
                    Duration::from_millis(200)
                }
                Err(error) => {
                    self.connection_failed("PUT", &error);
                    Duration::from_millis(200)
                }
            };
            assert!(Instant::now() < deadline, "PUT: not stored in {PATIENCE:?}");
            tokio::time::sleep(pause).await;
        }
    }

    /// Every page of the event's photos.
    pub async fn photos(&self, event_id: &str) -> Vec<Value> {
        let mut all = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = self
                .expect(
                    self.client.token.as_deref(),
                    200,
                    "GET",
                    &format!("/api/events/{event_id}/photos?limit=200{cursor}"),
                    None,
                )
                .await;
            all.extend(page["items"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => return all,
            }
        }
    }

    /// Polls the archive `id` of the gallery at `gallery` (`/api/g/{user}/{slug}`) as the
    /// viewer `token` until it is ready (within five minutes); returns the zip's bytes.
    pub async fn archive(&self, gallery: &str, token: &str, id: &str) -> Vec<u8> {
        let deadline = Instant::now() + Duration::from_secs(300);
        let path = format!("{gallery}/archives/{id}");
        loop {
            let state = self.expect(Some(token), 200, "GET", &path, None).await;
            match state["state"].as_str() {
                Some("ready") => {
                    return self
                        .client
                        .get_bytes(state["url"].as_str().expect("url"))
                        .await;
                }
                Some("failed") => panic!("archive {id} failed: {state}"),
                _ => {}
            }
            assert!(Instant::now() < deadline, "archive {id} not ready: {state}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
