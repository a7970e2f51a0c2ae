//! Crash safety and restarts of `picpass serve` on one data directory:
//! - 100 uploads, `kill -9` while they process, a restart: all 100 end `ready`, each with
//!   exactly its original and its two derivatives, and the object tree and the catalog agree
//!   (no orphan object, no row without its objects);
//! - an archive requested, `kill -9`, a restart: the archive completes with every photo;
//! - SIGTERM exits 0, and a restart serves everything that was there.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;
use sha2::{Digest, Sha256};
use support::{Client, Server, reconcile, small_pngs, unzip_entries};

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
