//! A gallery to test against: a photographer's event with photos and codes, made through
//! the real photographer API, and requests to the real gallery handler.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use shared::archive::ArchiveDeps;
use shared::archive::handler::handle_body;
use shared::domain::PhotoStatus;
use shared::ports::QueueConsumer;
use shared::services::ApiLimits;
use testkit::api::{ApiHarness, ApiRequest, Function, Photographer, Storage};
use testkit::api_flows::{create_event, ev, mark_photo, upload_named_photo};

/// The path of the sample gallery events (replaced by the real one).
const SAMPLE_BASE: &str = "/api/g/anna/wedding-2026";
/// The photo id in the sample download event.
const SAMPLE_PHOTO: &str = testkit::api::SAMPLE_PHOTO_ID;

/// One photographer's live event, as guests reach it.
pub struct Gallery {
    /// The real handlers.
    pub h: ApiHarness,
    /// The photographer.
    pub anna: Photographer,
    /// The event.
    pub event_id: String,
    /// `/api/g/{username}/{slug}`.
    pub base: String,
}

impl Gallery {
    /// A fresh event on `storage` with the default limits.
    pub async fn start(storage: Storage) -> Self {
        Self::start_with(storage, ApiLimits::default()).await
    }

    /// A fresh event on `storage` with `limits`.
    pub async fn start_with(storage: Storage, limits: ApiLimits) -> Self {
        let h = ApiHarness::start_with(storage, limits).await;
        let anna = Photographer::new("anna");
        let event_id = create_event(&h, &anna, "Wedding 2026").await;
        let (status, event) = h
            .send(ev("get_event").as_user(&anna).ids(Some(&event_id), None))
            .await;
        assert_eq!(status, 200, "{event}");
        let base = format!("/api/g/anna/{}", event["slug"].as_str().expect("slug"));
        Self {
            h,
            anna,
            event_id,
            base,
        }
    }

    /// A photo named `name` in `status`; returns its id.
    pub async fn photo(&self, name: &str, bytes: &[u8], status: PhotoStatus) -> String {
        let id = upload_named_photo(&self.h, &self.anna, &self.event_id, name, bytes).await;
        if status != PhotoStatus::Pending {
            mark_photo(&self.h, &self.event_id, &id, status).await;
        }
        id
    }

    /// A new access code (`body` as the codes route takes it); returns (code, code_id).
    pub async fn code(&self, body: Value) -> (String, String) {
        let (status, made) = self
            .h
            .send(
                ev("create_code")
                    .as_user(&self.anna)
                    .ids(Some(&self.event_id), None)
                    .json(body),
            )
            .await;
        assert_eq!(status, 201, "{made}");
        (
            made["code"].as_str().expect("code").to_owned(),
            made["code_id"].as_str().expect("code_id").to_owned(),
        )
    }

    /// Changes the photographer's code (`PATCH`/`DELETE …/codes/{code_id}`).
    pub async fn change_code(&self, code_id: &str, method: &str, body: Option<Value>) -> u16 {
        let req = ev(if method == "DELETE" {
            "revoke_code"
        } else {
            "patch_code"
        })
        .as_user(&self.anna)
        .ids(Some(&self.event_id), None)
        .path_replace(testkit::api::SAMPLE_CODE, code_id)
        .method(method);
        let req = match body {
            Some(body) => req.json(body),
            None => req.no_body(),
        };
        let (status, body) = self.h.send(req).await;
        assert!(status < 300, "{status} {body}");
        status
    }

    /// The photographer's `PATCH` of the event.
    pub async fn patch_event(&self, body: Value) {
        let (status, patched) = self
            .h
            .send(
                ev("patch_event")
                    .as_user(&self.anna)
                    .ids(Some(&self.event_id), None)
                    .json(body),
            )
            .await;
        assert_eq!(status, 200, "{patched}");
    }

    /// The sample gallery request `name`, aimed at this gallery.
    pub fn req(&self, name: &str) -> ApiRequest {
        ApiRequest::sample(Function::Gallery, name).path_replace(SAMPLE_BASE, &self.base)
    }

    /// The sample download request, for `photo_id`, with `token`.
    pub fn download(&self, photo_id: &str, token: &str) -> ApiRequest {
        self.req("download")
            .path_replace(SAMPLE_PHOTO, photo_id)
            .bearer(token)
    }

    /// Types `code` from `ip`.
    pub async fn unlock(&self, code: &str, ip: &str) -> (u16, Value) {
        self.h
            .send(self.req("unlock").from_ip(ip).json(json!({ "code": code })))
            .await
    }

    /// A viewer token for `code` (typed from a fixed address).
    pub async fn token(&self, code: &str) -> String {
        let (status, body) = self.unlock(code, "192.0.2.1").await;
        assert_eq!(status, 200, "{body}");
        body["token"].as_str().expect("token").to_owned()
    }

    /// Every photo id the token lists, across pages of `limit`.
    pub async fn listed(&self, token: &str, limit: u32) -> Vec<String> {
        let mut ids = Vec::new();
        let mut query = format!("limit={limit}");
        loop {
            let (status, page) = self
                .h
                .send(self.req("list_photos").bearer(token).query(&query))
                .await;
            assert_eq!(status, 200, "{page}");
            for item in page["items"].as_array().expect("items") {
                ids.push(item["photo_id"].as_str().expect("id").to_owned());
            }
            match page["next_cursor"].as_str() {
                Some(cursor) => query = format!("limit={limit}&cursor={cursor}"),
                None => return ids,
            }
        }
    }

    /// `POST …/archives` with `token`.
    pub async fn ask(&self, token: &str, body: Value) -> (u16, Value) {
        self.h
            .send(self.req("request_archive").bearer(token).json(body))
            .await
    }

    /// `GET …/archives/{archive_id}` with `token`.
    pub async fn status(&self, token: &str, archive_id: &str) -> (u16, Value) {
        let req = self
            .req("archive_status")
            .path_replace("01JDQ0ARCH1VE0000000000000", archive_id)
            .bearer(token);
        self.h.send(req).await
    }

    /// Runs the `archive` function on every queued archive message, as its trigger would.
    pub async fn build_queued_archives(&self) -> usize {
        let deps = ArchiveDeps {
            catalog: Arc::clone(&self.h.deps.catalog),
            blobs: Arc::clone(&self.h.deps.blobs),
            jobs_queue: self.h.jobs_queue.clone(),
            max_entries: 20_000,
        };
        let mut built = 0;
        loop {
            let deliveries = self
                .h
                .jobs_queue
                .receive(10, Duration::ZERO)
                .await
                .expect("receive");
            if deliveries.is_empty() {
                return built;
            }
            for delivery in deliveries {
                handle_body(&deps, &delivery.body, None)
                    .await
                    .expect("the archive builds");
                self.h.jobs_queue.ack(&delivery).await.expect("ack");
                built += 1;
            }
        }
    }
}

/// The entries of a stored (uncompressed, sizes in the local headers, no ZIP64) zip, as
/// (name, bytes), read from its local headers in order.
pub fn zip_entries(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let u16_at = |at: usize| usize::from(u16::from_le_bytes([zip[at], zip[at + 1]]));
    let u32_at =
        |at: usize| u32::from_le_bytes([zip[at], zip[at + 1], zip[at + 2], zip[at + 3]]) as usize;
    let mut entries = Vec::new();
    let mut at = 0;
    while zip.get(at..at + 4) == Some(b"PK\x03\x04") {
        let (size, name_len, extra_len) = (u32_at(at + 18), u16_at(at + 26), u16_at(at + 28));
        let name = String::from_utf8(zip[at + 30..at + 30 + name_len].to_vec()).expect("UTF-8");
        let data = at + 30 + name_len + extra_len;
        entries.push((name, zip[data..data + size].to_vec()));
        at = data + size;
    }
    entries
}

impl Gallery {
    /// Builds whatever is queued, then downloads the archive `archive_id` of `token`'s code.
    pub async fn built_archive(&self, token: &str, archive_id: &str) -> Vec<(String, Vec<u8>)> {
        self.build_queued_archives().await;
        let (status, ready) = self.status(token, archive_id).await;
        assert_eq!(status, 200, "{ready}");
        assert_eq!(ready["state"], "ready", "{ready}");
        let url = ready["url"].as_str().expect("url");
        let response = reqwest::get(url).await.expect("download the archive");
        assert_eq!(response.status(), 200);
        zip_entries(&response.bytes().await.expect("body"))
    }
}
