//! What the conformance suite cannot ask of every adapter: surviving a reopen and a killed
//! process, stale receipts after a redelivery, several queues in one file, limits, depth.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::time::Instant;

use super::*;

const LONG: Duration = Duration::from_secs(30);

fn database() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("queues.sqlite3");
    (dir, path)
}

fn open(path: &Path, name: &str, visibility_timeout: Duration, max_receives: u32) -> SqliteQueue {
    let settings = QueueSettings {
        visibility_timeout,
        max_receives,
    };
    SqliteQueue::open(path, name, settings).expect("open the queue")
}

async fn receive_one(queue: &SqliteQueue, wait: Duration) -> Delivery {
    let mut delivered = queue.receive(1, wait).await.expect("receive");
    assert_eq!(delivered.len(), 1, "expected one delivery: {delivered:?}");
    delivered.remove(0)
}

async fn depth(queue: &SqliteQueue) -> (u64, u64, u64) {
    let depth = queue.depth().await.expect("depth");
    (depth.visible, depth.in_flight, depth.dead)
}

#[tokio::test]
async fn a_sent_message_survives_reopening_the_file() {
    let (_dir, path) = database();
    let queue = open(&path, "process", LONG, 3);
    queue.send("photo 1").await.expect("send");
    drop(queue);

    let reopened = open(&path, "process", LONG, 3);
    let delivery = receive_one(&reopened, Duration::ZERO).await;

    assert_eq!(delivery.body, "photo 1");
    assert_eq!(delivery.receive_count, 1);
}

#[tokio::test]
async fn an_in_flight_delivery_reappears_after_a_reopen_once_its_visibility_ends() {
    let (_dir, path) = database();
    let queue = open(&path, "process", Duration::from_millis(500), 3);
    queue.send("interrupted").await.expect("send");
    let first = receive_one(&queue, Duration::ZERO).await;
    drop(queue);

    let reopened = open(&path, "process", Duration::from_millis(500), 3);
    let hidden = reopened.receive(1, Duration::ZERO).await.expect("receive");
    assert!(hidden.is_empty(), "visible before its timeout: {hidden:?}");
    let again = receive_one(&reopened, Duration::from_secs(5)).await;

    assert_eq!(again.message_id, first.message_id);
    assert_eq!(again.body, "interrupted");
    assert_eq!(again.receive_count, 2);
    assert_ne!(again.receipt, first.receipt);
}

#[tokio::test]
async fn an_acked_message_never_comes_back_after_a_reopen() {
    let (_dir, path) = database();
    let queue = open(&path, "process", Duration::from_millis(300), 3);
    queue
        .send_batch(&["done".to_owned(), "abandoned".to_owned()])
        .await
        .expect("send_batch");
    let delivered = queue.receive(2, Duration::ZERO).await.expect("receive");
    let done = delivered.iter().find(|d| d.body == "done").expect("done");
    queue.ack(done).await.expect("ack");
    drop(queue);

    let reopened = open(&path, "process", Duration::from_millis(300), 3);
    let back = receive_one(&reopened, Duration::from_secs(5)).await;
    assert_eq!(back.body, "abandoned");
    reopened.ack(&back).await.expect("ack");

    let rest = reopened
        .receive(10, Duration::from_secs(1))
        .await
        .expect("receive");
    assert!(rest.is_empty(), "{rest:?}");
    assert_eq!(depth(&reopened).await, (0, 0, 0));
}

/// GIVEN a delivery whose visibility ended and whose message went to another receiver,
/// WHEN the first holder acks or releases, THEN nothing changes for the newer delivery.
#[tokio::test]
async fn a_stale_receipt_neither_acks_nor_releases_the_newer_delivery() {
    let (_dir, path) = database();
    let queue = open(&path, "process", Duration::from_millis(300), 3);
    queue.send("slow").await.expect("send");
    let first = receive_one(&queue, Duration::ZERO).await;
    let second = receive_one(&queue, Duration::from_secs(5)).await;
    assert_eq!(second.receive_count, 2);

    let stale_ack = queue.ack(&first).await.expect_err("stale ack");
    assert!(stale_ack.is_conflict(), "{stale_ack:?}");
    let stale_release = queue
        .release(&first, Duration::ZERO)
        .await
        .expect_err("stale release");
    assert!(stale_release.is_conflict(), "{stale_release:?}");

    assert_eq!(depth(&queue).await, (0, 1, 0), "still held by the second");
    queue.ack(&second).await.expect("the current receipt acks");
    assert_eq!(depth(&queue).await, (0, 0, 0));
}

#[tokio::test]
async fn queues_in_one_file_keep_messages_settings_and_dead_letters_apart() {
    let (_dir, path) = database();
    let process = open(&path, "process", LONG, 1);
    let jobs = open(&path, "jobs", LONG, 3);
    process.send("photo").await.expect("send");
    jobs.send("archive").await.expect("send");

    let photo = receive_one(&process, Duration::ZERO).await;
    assert_eq!(photo.body, "photo");
    process
        .release(&photo, Duration::ZERO)
        .await
        .expect("release");
    let over = process.receive(10, Duration::ZERO).await.expect("receive");
    assert!(over.is_empty(), "one receive allowed: {over:?}");

    let dead = process
        .receive_dead_letters(10, Duration::ZERO)
        .await
        .expect("dead letters");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body, "photo");
    let jobs_dead = jobs
        .receive_dead_letters(10, Duration::ZERO)
        .await
        .expect("dead letters");
    assert!(jobs_dead.is_empty(), "{jobs_dead:?}");
    let archive = receive_one(&jobs, Duration::ZERO).await;
    assert_eq!(archive.body, "archive");
    assert_eq!(archive.receive_count, 1);
}

#[tokio::test]
async fn bodies_follow_sqs_limits_and_a_refused_batch_sends_nothing() {
    let (_dir, path) = database();
    let queue = open(&path, "process", LONG, 3);
    let largest = "x".repeat(MAX_BODY_BYTES);
    let too_large = "x".repeat(MAX_BODY_BYTES + 1);

    queue.send(&largest).await.expect("256 KiB fits");
    let refused = queue.send(&too_large).await.expect_err("too large");
    assert!(matches!(refused, Error::TooLarge { .. }), "{refused:?}");
    let empty = queue.send("").await.expect_err("empty");
    assert!(matches!(empty, Error::Invalid { .. }), "{empty:?}");
    let batch = queue
        .send_batch(&["fine".to_owned(), too_large])
        .await
        .expect_err("batch with a large body");
    assert!(matches!(batch, Error::TooLarge { .. }), "{batch:?}");

    assert_eq!(depth(&queue).await, (1, 0, 0), "only the 256 KiB message");
}

#[tokio::test]
async fn a_receive_hands_out_between_one_and_ten_messages_oldest_first() {
    let (_dir, path) = database();
    let queue = open(&path, "process", LONG, 3);
    let bodies: Vec<String> = (0..15).map(|i| format!("{i:02}")).collect();
    queue.send_batch(&bodies).await.expect("send_batch");

    let ten = queue.receive(50, Duration::ZERO).await.expect("receive");
    let one = queue.receive(0, Duration::ZERO).await.expect("receive");

    let received: Vec<&str> = ten.iter().map(|d| d.body.as_str()).collect();
    assert_eq!(
        received,
        bodies[..10].iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].body, "10");
}

#[tokio::test]
async fn a_queue_name_follows_sqs_rules() {
    let (_dir, path) = database();
    for name in ["", "has space", "dot.ted", &"q".repeat(81)] {
        let refused = SqliteQueue::open(
            &path,
            name,
            QueueSettings {
                visibility_timeout: LONG,
                max_receives: 3,
            },
        )
        .expect_err(name);
        assert!(matches!(refused, Error::Invalid { .. }), "{refused:?}");
    }
}

#[tokio::test]
async fn handles_of_one_queue_in_one_process_share_their_wakeups() {
    let (_dir, path) = database();
    let api = open(&path, "process", LONG, 3);
    let worker = open(&path, "process", LONG, 3);
    let other = open(&path, "jobs", LONG, 3);

    assert!(Arc::ptr_eq(&api.arrivals, &worker.arrivals));
    assert!(!Arc::ptr_eq(&api.arrivals, &other.arrivals));

    let started = Instant::now();
    let (delivered, ()) = tokio::join!(worker.receive(1, MAX_WAIT), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        api.send("uploaded").await.expect("send");
    });
    assert_eq!(delivered.expect("receive").len(), 1);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

/// A send no wake-up announces (another process's) is found by the bounded poll.
#[tokio::test]
async fn a_waiting_receiver_finds_a_send_from_another_connection() {
    let (_dir, path) = database();
    let queue = open(&path, "process", LONG, 3);
    let mut stranger = Connection::open(&path).expect("second connection");
    schema::prepare(&stranger).expect("prepare");

    let started = Instant::now();
    let (delivered, ()) = tokio::join!(queue.receive(1, MAX_WAIT), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        messages::insert(&mut stranger, "process", &["from afar".to_owned()]).expect("insert");
    });
    assert_eq!(delivered.expect("receive")[0].body, "from afar");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_waiting_receiver_gets_a_message_whose_visibility_ends_during_the_wait() {
    let (_dir, path) = database();
    let queue = open(&path, "process", Duration::from_millis(400), 3);
    queue.send("abandoned").await.expect("send");
    let _first = receive_one(&queue, Duration::ZERO).await;

    let started = Instant::now();
    let again = receive_one(&queue, MAX_WAIT).await;

    assert_eq!(again.receive_count, 2);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn depth_counts_visible_in_flight_and_dead() {
    let (_dir, path) = database();
    let queue = open(&path, "process", LONG, 1);
    let bodies: Vec<String> = ["a", "b", "c", "d"].map(str::to_owned).to_vec();
    queue.send_batch(&bodies).await.expect("send_batch");
    let held = queue.receive(2, Duration::ZERO).await.expect("receive");
    queue
        .release(&held[0], Duration::ZERO)
        .await
        .expect("release");
    assert_eq!(depth(&queue).await, (3, 1, 0));

    // The released message is over its one receive: this receive dead-letters it.
    let rest = queue.receive(10, Duration::ZERO).await.expect("receive");
    assert_eq!(rest.len(), 2);
    assert_eq!(depth(&queue).await, (0, 3, 1));
}

/// Sends `bodies` and receives each twice with `max_receives` 1, so the second receive
/// moves them all to the dead-letter list.
async fn dead_letters_of(queue: &SqliteQueue, bodies: &[&str]) {
    let bodies: Vec<String> = bodies.iter().map(|b| (*b).to_owned()).collect();
    queue.send_batch(&bodies).await.expect("send_batch");
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
    assert_eq!(depth(queue).await, (0, 0, bodies.len() as u64));
}

#[tokio::test]
async fn dead_letters_are_listed_and_redriven_one_by_one_or_all_at_once() {
    let (_dir, path) = database();
    let queue = open(&path, "process", LONG, 1);
    let other = open(&path, "jobs", LONG, 1);
    dead_letters_of(&queue, &["a", "b", "c"]).await;
    dead_letters_of(&other, &["x"]).await;

    let dead = queue.list_dead_letters(100).await.expect("list");
    let bodies: Vec<&str> = dead.iter().map(|d| d.body.as_str()).collect();
    assert_eq!(bodies, ["a", "b", "c"]);
    assert!(
        dead.iter()
            .all(|d| d.receive_count == 1 && d.dead_at_ms > 0)
    );
    assert_eq!(queue.list_dead_letters(2).await.expect("list").len(), 2);

    // One by id (an unknown id and another queue's are skipped), then the rest.
    let x = other.list_dead_letters(1).await.expect("list").remove(0);
    let moved = queue
        .redrive(Some(vec![
            dead[1].message_id.clone(),
            "nope".to_owned(),
            x.message_id,
        ]))
        .await
        .expect("redrive one");
    assert_eq!(moved, 1);
    assert_eq!(depth(&queue).await, (1, 0, 2));
    assert_eq!(depth(&other).await, (0, 0, 1));
    let again = receive_one(&queue, Duration::ZERO).await;
    assert_eq!((again.body.as_str(), again.receive_count), ("b", 1));
    queue.ack(&again).await.expect("ack");

    assert_eq!(queue.redrive(None).await.expect("redrive all"), 2);
    assert_eq!(depth(&queue).await, (2, 0, 0));
    assert_eq!(queue.redrive(None).await.expect("nothing left"), 0);
    assert_eq!(depth(&other).await, (0, 0, 1));
}

/// Set by `a_process_killed_holding_deliveries_loses_nothing` for its child process.
const CRASH_DB: &str = "PICPASS_TEST_SQLITE_QUEUE_CRASH_DB";
/// What the child prints once it holds its deliveries.
const HOLDING: &str = "holding deliveries";

/// The child half of `a_process_killed_holding_deliveries_loses_nothing`: acks one
/// message, holds another, leaves a third untouched, then waits to be killed. In an
/// ordinary run (no `CRASH_DB`) it has nothing to do.
#[tokio::test]
async fn crash_child_holds_deliveries_until_killed() {
    let Some(path) = std::env::var_os(CRASH_DB) else {
        return;
    };
    let queue = open(Path::new(&path), "process", Duration::from_secs(1), 3);
    let bodies = ["acked", "held", "untouched"].map(str::to_owned);
    queue.send_batch(&bodies).await.expect("send_batch");
    let delivered = queue.receive(2, Duration::ZERO).await.expect("receive");
    assert_eq!(delivered[0].body, "acked");
    queue.ack(&delivered[0]).await.expect("ack");
    println!("{HOLDING}");
    tokio::time::sleep(LONG).await;
}

/// GIVEN a process killed (SIGKILL) while holding a delivery, WHEN the queue is opened
/// again, THEN the untouched message is there, the held one comes back once its visibility
/// ends with receive count 2, and the acked one never does.
#[tokio::test]
async fn a_process_killed_holding_deliveries_loses_nothing() {
    let (_dir, path) = database();
    let mut child = tokio::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "adapters::sqlite_queue::tests::crash_child_holds_deliveries_until_killed",
            "--nocapture",
        ])
        .env(CRASH_DB, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the child");
    let stdout = child.stdout.take().expect("child stdout");
    let mut lines = BufReader::new(stdout).lines();
    let ready = tokio::time::timeout(LONG, async {
        while let Some(line) = lines.next_line().await.expect("read child stdout") {
            if line.contains(HOLDING) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(ready, Ok(true), "the child never held its deliveries");
    child.start_kill().expect("SIGKILL the child");
    let status = child.wait().await.expect("child status");
    assert!(!status.success(), "{status}");

    let queue = open(&path, "process", Duration::from_secs(1), 3);
    let untouched = receive_one(&queue, Duration::ZERO).await;
    assert_eq!(
        (untouched.body.as_str(), untouched.receive_count),
        ("untouched", 1)
    );
    let held = receive_one(&queue, Duration::from_secs(5)).await;
    assert_eq!((held.body.as_str(), held.receive_count), ("held", 2));
    queue.ack(&untouched).await.expect("ack");
    queue.ack(&held).await.expect("ack");
    let rest = queue
        .receive(10, Duration::from_millis(1500))
        .await
        .expect("receive");
    assert!(rest.is_empty(), "the acked message came back: {rest:?}");
}

#[tokio::test]
async fn in_flight_deliveries_are_made_visible_and_delayed_retries_keep_their_delay() {
    let (_dir, path) = database();
    let queue = open(&path, "process", Duration::from_secs(300), 5);
    queue
        .send_batch(&[
            "held".to_owned(),
            "delayed".to_owned(),
            "waiting".to_owned(),
        ])
        .await
        .expect("send");
    let held = receive_one(&queue, Duration::from_secs(1)).await;
    let delayed = receive_one(&queue, Duration::from_secs(1)).await;
    queue
        .release(&delayed, Duration::from_secs(300))
        .await
        .expect("release with a delay");

    let reopened = open(&path, "process", Duration::from_secs(300), 5);
    assert_eq!(reopened.make_in_flight_visible().await.expect("made"), 1);
    let mut bodies: Vec<String> = reopened
        .receive(10, Duration::from_secs(1))
        .await
        .expect("receive")
        .into_iter()
        .map(|d| d.body)
        .collect();
    bodies.sort();
    assert_eq!(bodies, ["held", "waiting"]);
    assert!(
        queue.ack(&held).await.is_err(),
        "the old receipt no longer works"
    );
}
