//! A full disk: the server's data directory on a 32 MB tmpfs mounted in a mount namespace
//! of its own (`unshare -m`; needs root, as CI runs). Uploads past the space are refused
//! with a clear JSON error (503 `storage_full`, `Retry-After`), nothing already stored is
//! damaged (earlier photos still served; after the run both databases pass SQLite's
//! integrity check), and uploads work again once photos are deleted.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use support::{Client, Server, Upload, wallpapers};

/// Mounts the tmpfs, runs the server on it, and when told to stop (SIGTERM) stops it and
/// copies the data directory out, so the test can check what the server left.
const WRAPPER: &str = r#"
set -eu
mount -t tmpfs -o size=32m picpass-disk-full "$MOUNT"
mkdir "$MOUNT/data"
"$PICPASS" "$@" &
server=$!
trap 'kill -TERM "$server"' TERM
wait "$server" || true
wait "$server" || true
cp -a "$MOUNT/data" "$OUT/after"
"#;

/// A real photo made distinct by bytes after its end (as a camera's trailer would be).
fn distinct(photo: &[u8], name: &str, n: u32) -> Upload {
    let mut bytes = photo.to_vec();
    bytes.extend_from_slice(format!("picpass-disk-full-{n:04}").as_bytes());
    Upload {
        name: format!("{name}-{n:04}.jpg"),
        bytes,
        content_type: "image/jpeg",
    }
}

fn describe(file: &Upload) -> Value {
    json!({"name": file.name, "content_type": file.content_type, "bytes": file.bytes.len(), "sha256": file.sha256()})
}

fn integrity(path: &Path) -> String {
    let conn = rusqlite::Connection::open(path).expect("open the copied database");
    conn.query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("integrity check")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_uploads_clearly_damages_nothing_and_recovers() {
    let dir = tempfile::tempdir().expect("dir");
    let mount = dir.path().join("mount");
    let out = dir.path().join("out");
    std::fs::create_dir_all(&mount).expect("mount point");
    std::fs::create_dir_all(&out).expect("out");
    let data = mount.join("data");
    let mut command = Command::new("unshare");
    command
        .args([
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            WRAPPER,
            "picpass-disk-full",
        ])
        .args(Server::serve_args(&data))
        .env("MOUNT", &mount)
        .env("OUT", &out)
        .env("PICPASS", env!("CARGO_BIN_EXE_picpass-e2e-server"));
    let server = Server::launch(command, &dir.path().join("server"));
    let mut client = Client::new(&server);
    client.sign_up("fullhouse").await;
    let (event_id, _) = client.create_event("Full disk").await;

    // ~1.5 MB photos, two at a time, until the server says the disk is full.
    let photo = wallpapers(19)
        .into_iter()
        .map(|path| std::fs::read(path).expect("a wallpaper"))
        .find(|bytes| (1_000_000..2_000_000).contains(&bytes.len()))
        .expect("a wallpaper of 1 to 2 MB");
    let mut stored = Vec::new();
    let refused = 'fill: {
        for n in 0..40 {
            let files = [
                distinct(&photo, "fill", 2 * n),
                distinct(&photo, "fill", 2 * n + 1),
            ];
            let described: Vec<Value> = files.iter().map(describe).collect();
            let path = format!("/api/events/{event_id}/uploads");
            let (status, body) = client
                .call("POST", &path, Some(json!({ "files": described })))
                .await;
            if status == 503 {
                break 'fill (body, files);
            }
            assert_eq!(status, 200, "{body}");
            for (ticket, file) in body["tickets"]
                .as_array()
                .expect("tickets")
                .iter()
                .zip(files)
            {
                client.put(ticket, file.bytes.clone()).await;
                stored.push(file);
            }
        }
        panic!("80 photos fit on a 32 MB disk");
    };
    let (body, refused_files) = refused;
    assert_eq!(body["error"]["code"], "storage_full", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("disk is full")),
        "{body}"
    );
    eprintln!(
        "{} photos stored before the disk was full: {body}",
        stored.len()
    );
    assert!(stored.len() >= 4, "the disk was full at once");

    // Everything stored is processed and served whole.
    let ready = client
        .wait_ready(&event_id, stored.len(), Duration::from_secs(300))
        .await;
    for photo in &ready {
        let thumb = client
            .get_bytes(photo["thumb_url"].as_str().expect("thumb"))
            .await;
        assert!(thumb.starts_with(&[0xff, 0xd8]), "a JPEG thumbnail");
    }

    // Space freed: the refused files go up now.
    for photo in ready.iter().take(ready.len() / 2 + 1) {
        let id = photo["photo_id"].as_str().expect("id");
        client
            .expect(
                204,
                "DELETE",
                &format!("/api/events/{event_id}/photos/{id}"),
                None,
            )
            .await;
    }
    client.upload(&event_id, &refused_files).await;
    let expected = stored.len() - (ready.len() / 2 + 1) + refused_files.len();
    client
        .wait_ready(&event_id, expected, Duration::from_secs(300))
        .await;

    let status = server.terminate();
    assert!(status.success(), "the wrapper ended with {status}");
    let after = out.join("after");
    assert_eq!(integrity(&after.join("catalog.sqlite3")), "ok");
    assert_eq!(integrity(&after.join("queues.sqlite3")), "ok");
}
