//! FsBlobs-only guarantees over real HTTP, beyond what the shared suite can assert for
//! every adapter (s3s-fs keeps the bytes of a bad-digest upload; AWS and FsBlobs do not).

use sha2::{Digest, Sha256};
use shared::ports::{Presign, PutConstraints};

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_digest_over_http_stores_nothing() {
    let fixture = testkit::fixtures::fs_blobs().await;
    let promised = b"the promised bytes";
    let request = fixture
        .blobs()
        .presign_put(
            "up/sum",
            &PutConstraints {
                content_type: "image/jpeg".to_owned(),
                content_length: promised.len() as u64,
                sha256: Sha256::digest(promised).into(),
            },
            Presign::now(300),
        )
        .expect("presign");
    let mut http = reqwest::Client::new().put(&request.url);
    for (name, value) in &request.headers {
        if name != "content-length" {
            http = http.header(name.as_str(), value.as_str());
        }
    }
    let response = http
        .body(b"THE PROMISED BYTES".to_vec())
        .send()
        .await
        .expect("PUT");
    assert_eq!(response.status().as_u16(), 400);
    assert!(
        response
            .text()
            .await
            .expect("body")
            .contains("<Code>BadDigest</Code>")
    );
    let err = fixture.blobs().head("up/sum").await.expect_err("absent");
    assert!(err.is_not_found(), "{err:?}");
    let leftovers = files_under(fixture.root());
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_answers_many_presigned_gets_concurrently() {
    let fixture = testkit::fixtures::fs_blobs().await;
    let blobs = fixture.store();
    let mut requests = Vec::new();
    for i in 0..16 {
        let key = format!("many/{i}");
        shared::ports::Blobs::put(blobs, &key, key.clone().into(), "text/plain")
            .await
            .expect("put");
        requests.push((
            key.clone(),
            shared::ports::Blobs::presign_get(blobs, &key, None, Presign::now(60))
                .expect("presign"),
        ));
    }
    let client = reqwest::Client::new();
    let responses = futures::future::join_all(requests.iter().map(|(key, request)| {
        let client = client.clone();
        async move {
            let body = client
                .get(&request.url)
                .send()
                .await
                .expect("GET")
                .text()
                .await
                .expect("body");
            (key.clone(), body)
        }
    }))
    .await;
    for (key, body) in responses {
        assert_eq!(body, key);
    }
}
