//! `picpass backup` of a running server while uploads go on, and `picpass restore` into a
//! new data directory: the restored server serves every photo that was `ready` when the
//! backup started, byte for byte, and the same sign-in still works.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::{Client, Server, small_pngs};

const BEFORE: usize = 40;
const DURING: usize = 60;

fn picpass(args: &[&Path], words: &[&str]) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_picpass-e2e-server"));
    command.args(words).env_remove("PICPASS_DATA_DIR");
    for arg in args {
        command.arg(arg);
    }
    let out = command.output().expect("run picpass");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Each ready photo's id → (original SHA-256, thumbnail bytes, web bytes).
async fn ready_photos(
    client: &Client,
    event_id: &str,
) -> BTreeMap<String, (String, Vec<u8>, Vec<u8>)> {
    let mut found = BTreeMap::new();
    for photo in client.all_photos(event_id).await {
        if photo["status"] != "ready" {
            continue;
        }
        let url = |name: &str| photo[name].as_str().expect("signed URL").to_owned();
        found.insert(
            photo["photo_id"].as_str().expect("id").to_owned(),
            (
                photo["sha256"].as_str().expect("sha256").to_owned(),
                client.get_bytes(&url("thumb_url")).await,
                client.get_bytes(&url("web_url")).await,
            ),
        );
    }
    found
}

fn summary_of(photos: &[Value]) -> BTreeMap<String, usize> {
    let mut by_status = BTreeMap::new();
    for photo in photos {
        *by_status
            .entry(photo["status"].as_str().unwrap_or("?").to_owned())
            .or_insert(0) += 1;
    }
    by_status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_uploads_restores_every_ready_photo() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let server = Server::start(&data, &[]);
    let mut client = Client::new(&server);
    client.sign_up("archivist").await;
    let (event_id, _) = client.create_event("Backed up").await;
    let photos = small_pngs(BEFORE + DURING);
    client.upload(&event_id, &photos[..BEFORE]).await;
    client
        .wait_ready(&event_id, BEFORE, Duration::from_secs(180))
        .await;
    let ready_before = ready_photos(&client, &event_id).await;
    assert_eq!(ready_before.len(), BEFORE);

    // Uploads and processing go on while the backup runs.
    let uploader = {
        let client = client.clone();
        let event_id = event_id.clone();
        let more: Vec<_> = photos[BEFORE..]
            .iter()
            .map(|p| support::Upload {
                name: p.name.clone(),
                bytes: p.bytes.clone(),
                content_type: p.content_type,
            })
            .collect();
        tokio::spawn(async move {
            for batch in more.chunks(10) {
                client.upload(&event_id, batch).await;
            }
        })
    };
    let backup = dir.path().join("backup");
    let (ok, said) = {
        let (data, backup) = (data.clone(), backup.clone());
        tokio::task::spawn_blocking(move || {
            picpass(&[&backup, Path::new("--data"), &data], &["backup"])
        })
        .await
        .expect("backup task")
    };
    assert!(ok, "backup failed: {said}");
    eprintln!("{said}");
    uploader.await.expect("uploads during the backup");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(backup.join("backup.json")).expect("backup.json"))
            .expect("JSON");
    assert!(manifest["objects"]["objects"].as_u64().expect("count") >= 3 * BEFORE as u64);

    // A backup never writes into a directory that has something in it.
    let (ok, said) = picpass(&[&backup, Path::new("--data"), &data], &["backup"]);
    assert!(!ok && said.contains("not empty"), "{said}");

    let restored = dir.path().join("restored");
    let (ok, said) = picpass(&[&backup, Path::new("--data"), &restored], &["restore"]);
    assert!(ok, "restore failed: {said}");
    let (ok, said) = picpass(&[&backup, Path::new("--data"), &restored], &["restore"]);
    assert!(!ok && said.contains("not empty"), "{said}");
    let (ok, said) = picpass(
        &[&data, Path::new("--data"), &dir.path().join("x")],
        &["restore"],
    );
    assert!(!ok && said.contains("not a picpass backup"), "{said}");

    // The original server ends its work; the restored one serves what was ready.
    client
        .wait_ready(&event_id, BEFORE + DURING, Duration::from_secs(300))
        .await;
    drop(server);
    let second = Server::start(&restored, &[]);
    let mut restored_client = Client::new(&second);
    restored_client.token.clone_from(&client.token);
    let listed = restored_client.all_photos(&event_id).await;
    eprintln!("restored: {:?}", summary_of(&listed));
    let after = ready_photos(&restored_client, &event_id).await;
    for (id, before) in &ready_before {
        assert_eq!(
            after.get(id),
            Some(before),
            "photo {id} as it was before the backup"
        );
    }
}
