//! The whole journey over HTTP against one real `picpass serve`: sign up, create an event,
//! upload real photos (single PUTs and a multipart upload resumed after a refused part),
//! wait until ready, codes, unlock, list, download, archive, delete a photo and an event,
//! expiry (410, then the reaper empties it), lockout.

mod support;

use std::time::Duration;

use serde_json::json;
use sha2::{Digest, Sha256};
use support::{Client, Server, Upload, stored_keys, unzip_entries, wallpapers};

const PART: &str = "5242880";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photographer_and_their_guests_go_through_the_whole_product() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    // 5 MiB parts, and single PUTs only up to 5 MiB, so a 6.7 MB wallpaper goes in 2 parts.
    let server = Server::start(
        &data,
        &[
            ("PICPASS_MAX_SINGLE_PUT_BYTES", PART),
            ("PICPASS_MULTIPART_PART_BYTES", PART),
        ],
    );
    let mut client = Client::new(&server);

    // Accounts: photographer routes need a valid token.
    let (status, body) = client.call("GET", "/api/me", None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, _) = client
        .call_as(Some("not.a.token"), "GET", "/api/me", None)
        .await;
    assert_eq!(status, 401);
    client.sign_up("ada").await;
    assert_eq!(
        client.expect(200, "GET", "/api/me", None).await["username"],
        "ada"
    );
    let (status, body) = client.call("GET", "/api/nothing-here", None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("route_not_found"))
    );

    let (event_id, slug) = client.create_event("Summer wedding").await;
    let photos: Vec<Upload> = wallpapers(3).iter().map(|p| Upload::from_path(p)).collect();
    let tickets = client.upload(&event_id, &photos).await;
    assert!(tickets.iter().all(|t| t["kind"] == "single"), "{tickets:?}");
    let big = Upload::from_path(std::path::Path::new(
        "/usr/share/backgrounds/Infinite-Sea_by_Aury88.jpg",
    ));
    let big_id = multipart_upload_resumed(&client, &event_id, &big).await;

    let ready = client
        .wait_ready(&event_id, 4, Duration::from_secs(180))
        .await;
    assert_eq!(ready.len(), 4);
    let mut ids: Vec<String> = tickets
        .iter()
        .map(|t| t["photo_id"].as_str().expect("id").to_owned())
        .collect();
    ids.push(big_id);
    let originals: Vec<&Upload> = photos.iter().chain(std::iter::once(&big)).collect();

    // Codes: a subset and everything.
    let codes = format!("/api/events/{event_id}/codes");
    let subset = client
        .expect(
            201,
            "POST",
            &codes,
            Some(json!({"label": "two", "photo_ids": [ids[0], ids[3]]})),
        )
        .await["code"]
        .as_str()
        .expect("code")
        .to_owned();
    let all = client
        .expect(
            201,
            "POST",
            &codes,
            Some(json!({"label": "all", "all": true})),
        )
        .await["code"]
        .as_str()
        .expect("code")
        .to_owned();

    // A guest with the subset code sees exactly its photos and downloads the original.
    let guest = Client::new(&server);
    let gallery = format!("/api/g/ada/{slug}");
    let landing = guest.expect(200, "GET", &gallery, None).await;
    assert_eq!(landing["name"], "Summer wedding");
    let token = unlock(&guest, &gallery, &subset.to_lowercase().replace('-', " ")).await;
    let (status, listing) = guest
        .call_as(Some(&token), "GET", &format!("{gallery}/photos"), None)
        .await;
    assert_eq!(status, 200, "{listing}");
    let mut listed: Vec<&str> = listing["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["photo_id"].as_str().expect("id"))
        .collect();
    listed.sort_unstable();
    let mut expected = vec![ids[0].as_str(), ids[3].as_str()];
    expected.sort_unstable();
    assert_eq!(listed, expected);
    let thumb = guest
        .get_bytes(listing["items"][0]["thumb_url"].as_str().expect("thumb"))
        .await;
    assert!(
        thumb.starts_with(&[0xFF, 0xD8]) || thumb.starts_with(b"RIFF"),
        "a thumbnail image"
    );
    let (status, download) = guest
        .call_as(
            Some(&token),
            "GET",
            &format!("{gallery}/photos/{}/download", ids[3]),
            None,
        )
        .await;
    assert_eq!(status, 200, "{download}");
    let bytes = guest
        .get_bytes(download["url"].as_str().expect("url"))
        .await;
    assert_eq!(
        Sha256::digest(&bytes),
        Sha256::digest(&big.bytes),
        "the original, byte for byte"
    );
    let (status, _) = guest
        .call_as(
            Some(&token),
            "GET",
            &format!("{gallery}/photos/{}/download", ids[1]),
            None,
        )
        .await;
    assert_eq!(status, 404, "a photo outside the grant is not found");

    // Everything as a zip, with the all code.
    let token_all = unlock(&guest, &gallery, &all).await;
    let zip = archive(&guest, &gallery, &token_all).await;
    let entries = unzip_entries(&zip, dir.path());
    assert_eq!(entries.len(), 4);
    for original in &originals {
        let (_, bytes) = entries
            .iter()
            .find(|(name, _)| name == &original.name)
            .unwrap_or_else(|| panic!("{} is in the zip", original.name));
        assert_eq!(
            Sha256::digest(bytes),
            Sha256::digest(&original.bytes),
            "{}",
            original.name
        );
    }

    // Delete a photo: its objects and row are gone.
    client
        .expect(
            204,
            "DELETE",
            &format!("/api/events/{event_id}/photos/{}", ids[1]),
            None,
        )
        .await;
    client
        .expect(
            404,
            "GET",
            &format!("/api/events/{event_id}/photos/{}", ids[1]),
            None,
        )
        .await;
    assert!(
        !stored_keys(&data).iter().any(|k| k.contains(&ids[1])),
        "objects of the deleted photo"
    );

    lockout(&guest, &gallery, &all).await;
    deleting_an_event_leaves_nothing(&client, &data).await;

    // Expiry: the gallery answers 410 at once, and the reaper empties the event.
    client
        .expect(
            200,
            "PATCH",
            &format!("/api/events/{event_id}"),
            Some(json!({"expires_at": seconds_ago(5)})),
        )
        .await;
    let (status, gone) = guest.call("GET", &gallery, None).await;
    assert_eq!(status, 410, "{gone}");
    let (status, _) = guest
        .call_as(Some(&token), "GET", &format!("{gallery}/photos"), None)
        .await;
    assert_eq!(status, 410);
    wait_until(Duration::from_secs(60), || {
        !stored_keys(&data).iter().any(|k| k.contains(&event_id))
    })
    .await;
    let (status, body) = guest.call("GET", &gallery, None).await;
    assert_eq!(status, 410, "the tombstone keeps answering 410: {body}");
    let (status, _) = client
        .call("GET", &format!("/api/events/{event_id}"), None)
        .await;
    assert!(
        status == 404 || status == 410,
        "event read after reaping: {status}"
    );

    let exit = server.terminate();
    assert!(exit.success(), "SIGTERM exits 0: {exit}");
}

async fn unlock(guest: &Client, gallery: &str, code: &str) -> String {
    let unlocked = guest
        .expect(
            200,
            "POST",
            &format!("{gallery}/unlock"),
            Some(json!({ "code": code })),
        )
        .await;
    unlocked["token"].as_str().expect("token").to_owned()
}

/// A multipart upload whose second part is first refused (a truncated body), then resumed:
/// the stored parts are listed, only the missing one is sent again.
async fn multipart_upload_resumed(client: &Client, event_id: &str, file: &Upload) -> String {
    let tickets = client.upload(event_id, std::slice::from_ref(file)).await;
    let ticket = &tickets[0];
    assert_eq!(ticket["kind"], "multipart", "{ticket}");
    let photo_id = ticket["photo_id"].as_str().expect("id").to_owned();
    let part_bytes = ticket["part_bytes"].as_u64().expect("part_bytes") as usize;
    assert_eq!(ticket["part_count"], 2);
    let parts_path = format!("/api/events/{event_id}/uploads/{photo_id}/parts");
    let urls = client
        .expect(
            200,
            "POST",
            &parts_path,
            Some(json!({"part_numbers": [1, 2]})),
        )
        .await["parts"]
        .as_array()
        .expect("parts")
        .clone();
    let first = file.bytes[..part_bytes].to_vec();
    let second = file.bytes[part_bytes..].to_vec();
    let etag1 = client.put(&urls[0], first).await;
    // The second part "dropped": a body shorter than signed is refused and not stored.
    let url2 = urls[1]["url"].as_str().expect("url");
    let refused = client
        .http
        .put(url2)
        .body(second[..second.len() / 2].to_vec())
        .send()
        .await
        .expect("PUT");
    assert!(refused.status().is_client_error(), "{}", refused.status());
    let stored = client.expect(200, "GET", &parts_path, None).await;
    let numbers: Vec<u64> = stored["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .map(|p| p["part_number"].as_u64().expect("n"))
        .collect();
    assert_eq!(numbers, [1], "only the first part is stored");
    let etag2 = client.put(&urls[1], second).await;
    client
        .expect(
            200,
            "POST",
            &format!("/api/events/{event_id}/uploads/{photo_id}/complete"),
            Some(json!({"parts": [{"part_number": 1, "etag": etag1}, {"part_number": 2, "etag": etag2}]})),
        )
        .await;
    photo_id
}

async fn archive(guest: &Client, gallery: &str, token: &str) -> Vec<u8> {
    let (status, requested) = guest
        .call_as(
            Some(token),
            "POST",
            &format!("{gallery}/archives"),
            Some(json!({"all": true})),
        )
        .await;
    assert_eq!(status, 202, "{requested}");
    let id = requested["archive_id"].as_str().expect("id");
    guest
        .wait_for_archive(gallery, token, id, Duration::from_secs(120))
        .await
}

/// The tenth wrong code from one address locks it out (429 with Retry-After), even for
/// the right code.
async fn lockout(guest: &Client, gallery: &str, right: &str) {
    let wrong = Some(json!({"code": "WRNG-WRNG-WRNG"}));
    for _ in 1..10 {
        let (status, body) = guest
            .call("POST", &format!("{gallery}/unlock"), wrong.clone())
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (401, Some("wrong_code"))
        );
    }
    let (status, _) = guest
        .call("POST", &format!("{gallery}/unlock"), wrong)
        .await;
    assert_eq!(status, 429, "the tenth wrong code locks the address out");
    let response = guest
        .http
        .post(format!("{}{gallery}/unlock", guest.base))
        .json(&json!({ "code": right }))
        .send()
        .await
        .expect("unlock");
    assert_eq!(response.status().as_u16(), 429);
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!(retry_after > 0 && retry_after <= 900, "{retry_after}");
}

async fn deleting_an_event_leaves_nothing(client: &Client, data: &std::path::Path) {
    let (event_id, _) = client.create_event("Short-lived").await;
    client.upload(&event_id, &support::small_pngs(3)).await;
    client
        .wait_ready(&event_id, 3, Duration::from_secs(60))
        .await;
    assert!(stored_keys(data).iter().any(|k| k.contains(&event_id)));
    client
        .expect(204, "DELETE", &format!("/api/events/{event_id}"), None)
        .await;
    let (status, _) = client
        .call("GET", &format!("/api/events/{event_id}"), None)
        .await;
    assert!(status == 404 || status == 410, "{status}");
    assert!(
        !stored_keys(data).iter().any(|k| k.contains(&event_id)),
        "objects of the deleted event"
    );
}

/// An RFC 3339 time `secs` before now (the tombstone lasts 30 days from the expiry).
fn seconds_ago(secs: i64) -> String {
    let then = time::OffsetDateTime::now_utc() - time::Duration::seconds(secs);
    then.replace_nanosecond(0)
        .expect("whole seconds")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("RFC 3339")
}

async fn wait_until(within: Duration, done: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + within;
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "not done within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
