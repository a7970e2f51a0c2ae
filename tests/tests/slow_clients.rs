//! Slow and hostile connections on loopback: 200 clients sending their headers a byte a
//! second and 40 request bodies that never finish do not stop other clients being served,
//! and the server closes every one of them after its timeout (`--header-timeout`,
//! `--body-idle-timeout`, 2 s here).

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Client, Server, small_pngs};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const DRIBBLERS: usize = 200;
const STALLED_BODIES: usize = 40;
const TIMEOUT_SECS: u64 = 2;
/// Served requests made while the slow clients hold their connections.
const SERVED: usize = 100;

/// Sends a request's headers a byte a second until the server closes the connection;
/// returns how long the server let it go on.
async fn dribble_headers(addr: String) -> Duration {
    let started = Instant::now();
    let mut stream = TcpStream::connect(&addr).await.expect("connect");
    let request = b"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    for byte in request {
        if stream.write_all(&[*byte]).await.is_err() {
            return started.elapsed();
        }
        let mut buf = [0u8; 512];
        // The server's answer to a timeout is to close (possibly after a 408): reading
        // gives end-of-stream or an error.
        match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return started.elapsed(),
            Ok(Ok(_)) => {
                // A 408 first; the close follows.
                let _ = stream.read(&mut buf).await;
                return started.elapsed();
            }
            Err(_) => {}
        }
    }
    panic!("the server read a whole request sent a byte a second");
}

/// Sends `head` (a request's line and headers, declaring a longer body than it will get),
/// 10 bytes of body, then nothing; returns the server's answer and how long it took.
async fn stall_body(addr: String, head: String) -> (String, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(&addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("send head");
    stream
        .write_all(b"0123456789")
        .await
        .expect("send some body");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer)).await;
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

/// A login whose JSON body never finishes.
fn stalled_login() -> String {
    "POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n".to_owned()
}

/// The presigned PUT of `ticket` whose body never finishes.
fn stalled_upload(ticket: &Value, bytes: usize) -> String {
    let url = ticket["url"].as_str().expect("url");
    let target = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map(|(_, p)| p)
        .expect("path");
    let mut head =
        format!("PUT /{target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {bytes}\r\n");
    for (name, value) in ticket["headers"].as_object().into_iter().flatten() {
        if !name.eq_ignore_ascii_case("content-length") {
            head.push_str(&format!(
                "{name}: {}\r\n",
                value.as_str().unwrap_or_default()
            ));
        }
    }
    head.push_str("\r\n");
    head
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_stalled_clients_do_not_stop_others_and_are_cut_off() {
    let dir = tempfile::tempdir().expect("dir");
    let timeout = TIMEOUT_SECS.to_string();
    let server = Server::start_with(
        &dir.path().join("data"),
        &[],
        &[
            "--header-timeout",
            &timeout,
            "--body-idle-timeout",
            &timeout,
        ],
    );
    let mut client = Client::new(&server);
    client.sign_up("slowpoke").await;
    let (event_id, _) = client.create_event("Slow clients").await;
    let addr = server.base.trim_start_matches("http://").to_owned();

    let dribblers: Vec<_> = (0..DRIBBLERS)
        .map(|_| tokio::spawn(dribble_headers(addr.clone())))
        .collect();
    // Half the stalled bodies are logins, half are uploads of real tickets.
    let files = small_pngs(STALLED_BODIES / 2);
    let described: Vec<Value> = files
        .iter()
        .map(|f| json!({"name": f.name, "content_type": f.content_type, "bytes": f.bytes.len(), "sha256": f.sha256()}))
        .collect();
    let tickets = client
        .expect(
            200,
            "POST",
            &format!("/api/events/{event_id}/uploads"),
            Some(json!({ "files": described })),
        )
        .await["tickets"]
        .as_array()
        .expect("tickets")
        .clone();
    assert!(tickets.iter().all(|t| t["kind"] == "single"));
    let heads = tickets
        .iter()
        .zip(&files)
        .map(|(ticket, file)| stalled_upload(ticket, file.bytes.len()))
        .chain((0..STALLED_BODIES / 2).map(|_| stalled_login()));
    let stalled: Vec<_> = heads
        .map(|head| tokio::spawn(stall_body(addr.clone(), head)))
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Everyone else is served meanwhile.
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    for _ in 0..SERVED {
        let one = Instant::now();
        let event = client
            .expect(200, "GET", &format!("/api/events/{event_id}"), None)
            .await;
        assert_eq!(event["event_id"], event_id.as_str());
        slowest = slowest.max(one.elapsed());
    }
    eprintln!(
        "{SERVED} requests served beside {DRIBBLERS} dribbling and {STALLED_BODIES} stalled clients in {:?} (slowest {slowest:?})",
        started.elapsed()
    );

    for dribbler in dribblers {
        let held = dribbler.await.expect("dribbler");
        assert!(
            held >= Duration::from_secs(TIMEOUT_SECS)
                && held < Duration::from_secs(TIMEOUT_SECS + 8),
            "a client sending headers a byte a second was cut off after {held:?}"
        );
    }
    for stalled in stalled {
        let (answer, held) = stalled.await.expect("stalled client");
        assert!(
            held < Duration::from_secs(TIMEOUT_SECS + 8),
            "a stalled body held its connection for {held:?}"
        );
        // Answered with a client error (or cut off), never a server error.
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
            "a stalled body was answered: {answer}"
        );
    }
    // Nothing half-sent was stored, and the same tickets still upload whole.
    let photos = client.all_photos(&event_id).await;
    assert_eq!(photos.len(), files.len());
    assert!(
        photos.iter().all(|p| p["status"] == "pending"),
        "{photos:?}"
    );
    for (ticket, file) in tickets.iter().zip(&files) {
        client.put(ticket, file.bytes.clone()).await;
    }
    client
        .wait_ready(&event_id, files.len(), Duration::from_secs(120))
        .await;
}
