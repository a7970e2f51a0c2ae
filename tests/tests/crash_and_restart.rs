//! Crash safety and restarts of `picpass serve` on one data directory:
//! - 100 uploads, `kill -9` while they process, a restart: all 100 end `ready`, each with
//!   exactly its original and its two derivatives, and the object tree and the catalog agree
//!   (no orphan object, no row without its objects);
//! - an archive requested, `kill -9`, a restart: the archive completes with every photo;
//! - SIGTERM exits 0, and a restart serves everything that was there.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::json;
use sha2::{Digest, Sha256};
use support::{Client, Server, small_pngs, stored_keys, unzip_entries};

const PHOTOS: usize = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_nothing_and_does_nothing_twice() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let server = Server::start(&data, &[]);
    let mut client = Client::new(&server);
    client.sign_up("grace").await;
    let (event_id, slug) = client.create_event("Crash test").await;
    let uploads = small_pngs(PHOTOS);
    let tickets = client.upload(&event_id, &uploads).await;
    assert!(tickets.iter().all(|t| t["kind"] == "single"));

    // Kill while processing: some photos ready, not all.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let photos = client.all_photos(&event_id).await;
        let ready = photos.iter().filter(|p| p["status"] == "ready").count();
        if ready >= 3 {
            eprintln!("killing with {ready} of {PHOTOS} ready");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "nothing processed:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill9();

    // The same data directory: the token still works (its key is in the data directory).
    let server = Server::start(&data, &[]);
    client.base.clone_from(&server.base);
    let photos = client
        .wait_ready(&event_id, PHOTOS, Duration::from_secs(240))
        .await;
    assert_eq!(photos.len(), PHOTOS);
    reconcile(&client, &data, &event_id).await;

    // An archive in progress when the server dies is finished after the restart.
    let code = client
        .expect(
            201,
            "POST",
            &format!("/api/events/{event_id}/codes"),
            Some(json!({"label": "all", "all": true})),
        )
        .await["code"]
        .as_str()
        .expect("code")
        .to_owned();
    let guest = Client::new(&server);
    let gallery = format!("/api/g/grace/{slug}");
    let token = guest
        .expect(
            200,
            "POST",
            &format!("{gallery}/unlock"),
            Some(json!({ "code": code })),
        )
        .await["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let (status, requested) = guest
        .call_as(
            Some(&token),
            "POST",
            &format!("{gallery}/archives"),
            Some(json!({"all": true})),
        )
        .await;
    assert_eq!(status, 202, "{requested}");
    server.kill9();
    let server = Server::start(&data, &[]);
    let guest = Client {
        base: server.base.clone(),
        ..guest
    };
    let archive_id = requested["archive_id"].as_str().expect("id");
    let zip = guest
        .wait_for_archive(&gallery, &token, archive_id, Duration::from_secs(180))
        .await;
    let entries = unzip_entries(&zip, dir.path());
    let in_zip: BTreeMap<String, Vec<u8>> = entries.into_iter().collect();
    assert_eq!(in_zip.len(), PHOTOS);
    for upload in &uploads {
        let bytes = in_zip
            .get(&upload.name)
            .unwrap_or_else(|| panic!("{} in the zip", upload.name));
        assert_eq!(
            Sha256::digest(bytes),
            Sha256::digest(&upload.bytes),
            "{}",
            upload.name
        );
    }

    // A clean stop and a restart: everything still there and served.
    let exit = server.terminate();
    assert!(exit.success(), "SIGTERM exits 0: {exit}");
    let server = Server::start(&data, &[]);
    client.base.clone_from(&server.base);
    let photos = client
        .wait_ready(&event_id, PHOTOS, Duration::from_secs(10))
        .await;
    let first = &photos[0];
    let web = client
        .get_bytes(first["web_url"].as_str().expect("web_url"))
        .await;
    assert!(!web.is_empty());
    let guest = Client {
        base: server.base.clone(),
        ..guest
    };
    let (status, listing) = guest
        .call_as(
            Some(&token),
            "GET",
            &format!("{gallery}/photos?limit=200"),
            None,
        )
        .await;
    assert_eq!(
        status, 200,
        "the viewer token outlives the restart: {listing}"
    );
    assert_eq!(listing["items"].as_array().map(Vec::len), Some(PHOTOS));
}

/// Every photo row has its original and exactly its two derivatives; every object of the
/// event belongs to a photo row (or is the event's archive).
async fn reconcile(client: &Client, data: &std::path::Path, event_id: &str) {
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
