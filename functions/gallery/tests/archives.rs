//! The archive routes: asking for a zip of a selection or of everything granted, polling
//! it, and downloading it once the `archive` function has built it; each code sees only
//! its own archives.

mod support;

use serde_json::{Value, json};
use shared::domain::PhotoStatus;
use support::Gallery;
use testkit::api::Storage;
use testkit::api_flows::assert_error;

fn id(body: &Value) -> String {
    body["archive_id"].as_str().expect("archive_id").to_owned()
}

async fn archives_are_asked_for_polled_and_kept_to_their_code(storage: Storage) {
    let g = Gallery::start(storage).await;
    let a = g
        .photo("a.jpg", b"first original", PhotoStatus::Ready)
        .await;
    let b = g
        .photo("b.jpg", b"second original", PhotoStatus::Ready)
        .await;
    let pending = g.photo("c.jpg", b"not yet", PhotoStatus::Pending).await;
    let (everything, _) = g.code(json!({"label": "All", "all": true})).await;
    let (only_a, _) = g.code(json!({"label": "A", "photo_ids": [a]})).await;
    let (all_token, a_token) = (g.token(&everything).await, g.token(&only_a).await);

    // The same request while the archive is queued returns it: no second job.
    let (status, first) = g.ask(&all_token, json!({"all": true})).await;
    assert_eq!(status, 202, "{first}");
    let (status, again) = g.ask(&all_token, json!({"all": true})).await;
    assert_eq!(status, 202, "{again}");
    assert_eq!(id(&first), id(&again));
    let (status, queued) = g.status(&all_token, &id(&first)).await;
    assert_eq!(status, 200, "{queued}");
    assert_eq!(queued["state"], "queued");
    assert!(queued.get("url").is_none(), "{queued}");

    // Another code can neither read it nor ask for what it does not grant.
    let (status, body) = g.status(&a_token, &id(&first)).await;
    assert_error(status, &body, 404, "archive_not_found");
    for selection in [
        json!({"photo_ids": [b]}),
        json!({"photo_ids": [a, pending]}),
    ] {
        let (status, body) = g.ask(&a_token, selection).await;
        assert_error(status, &body, 404, "photo_not_found");
    }
    for bad in [
        json!({}),
        json!({"all": true, "photo_ids": [a]}),
        json!({"photo_ids": []}),
    ] {
        let (status, body) = g.ask(&a_token, bad.clone()).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
    let (status, body) = g.ask("pv1.nope", json!({"all": true})).await;
    assert_eq!(status, 401, "{body}");

    let (status, mine) = g.ask(&a_token, json!({"photo_ids": [a, a]})).await;
    assert_eq!(status, 202, "{mine}");
    assert_ne!(id(&mine), id(&first));

    // The repeated request sent its message again (harmless: a build skips what is done).
    assert!(g.build_queued_archives().await >= 2);
    let (status, ready) = g.status(&all_token, &id(&first)).await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["state"], "ready", "{ready}");
    assert_eq!(
        (ready["done"].as_u64(), ready["total"].as_u64()),
        (Some(2), Some(2))
    );
    let url = ready["url"].as_str().expect("url");
    let response = reqwest::get(url).await.expect("download");
    assert_eq!(response.status(), 200);
    let disposition = response
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(disposition.contains("Wedding 2026.zip"), "{disposition}");
    let zip = response.bytes().await.expect("body");
    assert!(zip.starts_with(b"PK\x03\x04"), "a zip");
    for (name, content) in [
        ("a.jpg", &b"first original"[..]),
        ("b.jpg", b"second original"),
    ] {
        let found = zip.windows(name.len()).any(|w| w == name.as_bytes())
            && zip.windows(content.len()).any(|w| w == content);
        assert!(found, "{name} in the zip");
    }
    assert!(
        !zip.windows(7).any(|w| w == b"not yet"),
        "the pending photo is not in it"
    );

    let (status, mine) = g.status(&a_token, &id(&mine)).await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["state"], "ready");
    assert_eq!(mine["total"], 1);
}

#[tokio::test]
async fn archives_are_asked_for_polled_and_kept_to_their_code_on_sqlite_and_files() {
    archives_are_asked_for_polled_and_kept_to_their_code(Storage::Fs).await;
}

#[tokio::test]
async fn archives_are_asked_for_polled_and_kept_to_their_code_on_dynamodb_and_s3() {
    archives_are_asked_for_polled_and_kept_to_their_code(Storage::Aws).await;
}

/// Revoking the code stops its archives at once: the next poll is 410.
#[tokio::test]
async fn a_revoked_code_cannot_poll_its_archive() {
    let g = Gallery::start(Storage::Fs).await;
    g.photo("a.jpg", b"an original", PhotoStatus::Ready).await;
    let (code, code_id) = g.code(json!({"label": "All", "all": true})).await;
    let token = g.token(&code).await;
    let (status, asked) = g.ask(&token, json!({"all": true})).await;
    assert_eq!(status, 202, "{asked}");
    g.change_code(&code_id, "DELETE", None).await;
    let (status, body) = g.status(&token, &id(&asked)).await;
    assert_error(status, &body, 410, "code_revoked");
}
