//! Steps many API tests share (create an event, upload a file through its ticket, mark a
//! photo processed), done through the real handlers and the real blob server.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use shared::domain::{EventId, PhotoId, PhotoMetadata, PhotoStatus};

use crate::api::{ApiHarness, ApiRequest, Function, Photographer};

/// Creates an event owned by `who`; returns its id.
pub async fn create_event(h: &ApiHarness, who: &Photographer, name: &str) -> String {
    let (status, body) = h
        .send(
            ApiRequest::sample(Function::Events, "create_event")
                .as_user(who)
                .json(json!({"name": name, "ttl_seconds": 86_400})),
        )
        .await;
    assert_eq!(status, 201, "create event: {body}");
    body["event_id"].as_str().expect("event_id").to_owned()
}

/// The upload request entry of `bytes`.
pub fn file_entry(name: &str, content_type: &str, bytes: &[u8]) -> Value {
    json!({
        "name": name,
        "content_type": content_type,
        "bytes": bytes.len(),
        "sha256": hex::encode(Sha256::digest(bytes)),
    })
}

/// Asks for tickets; returns status and body.
pub async fn request_uploads(
    h: &ApiHarness,
    who: &Photographer,
    event_id: &str,
    files: Vec<Value>,
) -> (u16, Value) {
    h.send(
        ApiRequest::sample(Function::Presign, "create_uploads")
            .as_user(who)
            .ids(Some(event_id), None)
            .json(json!({ "files": files })),
    )
    .await
}

/// Sends `body` with a single-PUT ticket's method, URL and headers; returns the HTTP status.
pub async fn put_with_ticket(ticket: &Value, body: Vec<u8>) -> u16 {
    put_with_ticket_headers(ticket, body, &[]).await
}

/// Like [`put_with_ticket`], overriding some headers.
pub async fn put_with_ticket_headers(
    ticket: &Value,
    body: Vec<u8>,
    overrides: &[(&str, &str)],
) -> u16 {
    let url = ticket["url"].as_str().expect("ticket url");
    let client = reqwest::Client::new();
    let mut req = client.put(url);
    if let Some(headers) = ticket["headers"].as_object() {
        for (name, value) in headers {
            // The client sets the length from the body, as browsers do.
            if name.eq_ignore_ascii_case("content-length") {
                continue;
            }
            if overrides.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                continue;
            }
            req = req.header(name, value.as_str().expect("header value"));
        }
    }
    for (name, value) in overrides {
        req = req.header(*name, *value);
    }
    req.body(body)
        .send()
        .await
        .expect("reach the blob server")
        .status()
        .as_u16()
}

/// Uploads `bytes` as a new photo of `event_id`; returns its photo id.
pub async fn upload_photo(
    h: &ApiHarness,
    who: &Photographer,
    event_id: &str,
    bytes: &[u8],
) -> String {
    upload_named_photo(h, who, event_id, "photo.jpg", bytes).await
}

/// Uploads `bytes` as a new photo named `name` on the photographer's device.
pub async fn upload_named_photo(
    h: &ApiHarness,
    who: &Photographer,
    event_id: &str,
    name: &str,
    bytes: &[u8],
) -> String {
    let (status, body) = request_uploads(
        h,
        who,
        event_id,
        vec![file_entry(name, "image/jpeg", bytes)],
    )
    .await;
    assert_eq!(status, 200, "uploads: {body}");
    let ticket = &body["tickets"][0];
    assert_eq!(ticket["kind"], "single", "{ticket}");
    assert_eq!(
        put_with_ticket(ticket, bytes.to_vec()).await,
        200,
        "PUT through the ticket"
    );
    ticket["photo_id"].as_str().expect("photo_id").to_owned()
}

/// Moves a photo through the processor's states as the `process` function would.
pub async fn mark_photo(h: &ApiHarness, event_id: &str, photo_id: &str, to: PhotoStatus) {
    let event_id = EventId::parse(event_id).expect("event id");
    let photo_id = PhotoId::parse(photo_id).expect("photo id");
    let catalog = &h.deps.catalog;
    let mut photo = catalog.get_photo(event_id, photo_id).await.expect("photo");
    photo.status = PhotoStatus::Processing;
    let mut photo = catalog.update_photo(&photo).await.expect("to processing");
    photo.status = to;
    match to {
        PhotoStatus::Ready => {
            photo.metadata = Some(PhotoMetadata {
                width: 4000,
                height: 3000,
                orientation: 1,
                taken_at: None,
                camera: Some("Test Camera".to_owned()),
                format: "jpeg".to_owned(),
                variants: vec!["thumb".to_owned(), "web".to_owned()],
                crc32: None,
            });
        }
        PhotoStatus::Failed => {
            photo.failure = Some(shared::domain::PhotoFailure {
                code: "not_an_image".to_owned(),
                message: "the file is not an image".to_owned(),
            });
        }
        PhotoStatus::Pending | PhotoStatus::Processing => {}
    }
    catalog.update_photo(&photo).await.expect("to final state");
}

/// The sample request `events/events/<name>.json`, to change and send.
pub fn ev(name: &str) -> crate::api::ApiRequest {
    crate::api::ApiRequest::sample(crate::api::Function::Events, name)
}

/// Asserts an error response: its status and its `error.code`.
pub fn assert_error(status: u16, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["error"]["code"], want_code, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
}
