//! `picpass dlq list` / `redrive` on a data directory's queue file.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use shared::adapters::{QueueSettings, SqliteQueue};
use shared::ports::queue::{QueueConsumer, QueueSender};

/// The local stack's queues with one receive allowed, so a released message dies next time.
fn queue(data: &Path, name: &str) -> SqliteQueue {
    let settings = QueueSettings {
        visibility_timeout: Duration::from_secs(30),
        max_receives: 1,
    };
    SqliteQueue::open(data.join("queues.sqlite3"), name, settings).expect("open")
}

async fn kill(queue: &SqliteQueue, bodies: &[&str]) {
    let bodies: Vec<String> = bodies.iter().map(|b| (*b).to_owned()).collect();
    queue.send_batch(&bodies).await.expect("send");
    for delivery in queue.receive(10, Duration::ZERO).await.expect("receive") {
        queue
            .release(&delivery, Duration::ZERO)
            .await
            .expect("release");
    }
    assert!(
        queue
            .receive(10, Duration::ZERO)
            .await
            .expect("receive")
            .is_empty()
    );
}

fn picpass(data: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_picpass"))
        .arg("dlq")
        .args(args)
        .arg("--data")
        .arg(data)
        .env_remove("PICPASS_DATA_DIR")
        .output()
        .expect("run picpass dlq");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn listed(data: &Path, args: &[&str]) -> Vec<Value> {
    let (ok, out, err) = picpass(data, &[&["list"], args].concat());
    assert!(ok, "{err}");
    out.lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

#[tokio::test]
async fn dead_letters_are_listed_and_moved_back() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path();
    let process = queue(data, "process");
    let jobs = queue(data, "jobs");
    kill(&process, &[r#"{"n":1}"#, r#"{"n":2}"#]).await;
    kill(&jobs, &[r#"{"job":"a"}"#]).await;

    let all = listed(data, &[]);
    assert_eq!(all.len(), 3);
    assert_eq!(all[0]["queue"], "process");
    assert_eq!(all[0]["body"], r#"{"n":1}"#);
    assert_eq!(all[0]["receive_count"], 1);
    assert!(all[0]["dead_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert_eq!(all[2]["queue"], "jobs");
    assert_eq!(listed(data, &["--queue", "jobs"]).len(), 1);

    // One by id; an id that is not a dead letter fails and says so.
    let id = all[1]["message_id"].as_str().expect("id");
    let (ok, _, err) = picpass(data, &["redrive", id]);
    assert!(ok, "{err}");
    let back = process.receive(10, Duration::ZERO).await.expect("receive");
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].body, r#"{"n":2}"#);
    let (ok, _, err) = picpass(data, &["redrive", id]);
    assert!(!ok && err.contains("not dead letters"), "{err}");
    let (ok, _, err) = picpass(data, &["redrive"]);
    assert!(!ok && err.contains("--all"), "{err}");

    // Everything of one queue, then of both.
    let (ok, _, err) = picpass(data, &["redrive", "--all", "--queue", "jobs"]);
    assert!(ok, "{err}");
    assert_eq!(listed(data, &[]).len(), 1);
    let (ok, _, err) = picpass(data, &["redrive", "--all"]);
    assert!(ok, "{err}");
    assert!(listed(data, &[]).is_empty());
    assert_eq!(jobs.depth().await.expect("depth").visible, 1);
}

#[test]
fn a_directory_without_queues_is_refused_not_created() {
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("nothing-here");
    let (ok, _, err) = picpass(&missing, &["list"]);
    assert!(!ok && err.contains("no queues at"), "{err}");
    assert!(!missing.exists());
}
