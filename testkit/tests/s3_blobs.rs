//! `S3Blobs` against s3s-fs: what the shared conformance suite does not cover — presigned
//! requests made by a plain HTTP client, as a browser would, and S3-specific paging.

use bytes::Bytes;
use sha2::{Digest, Sha256};
use shared::Error;
use shared::domain::{PageRequest, Timestamp};
use shared::ports::{Blobs, Presign, PresignedRequest, PutConstraints};
use testkit::fixtures::s3_blobs;

fn constraints(body: &[u8], content_type: &str) -> PutConstraints {
    PutConstraints {
        content_type: content_type.to_owned(),
        content_length: body.len() as u64,
        sha256: Sha256::digest(body).into(),
    }
}

/// Sends a presigned request the way a browser would: the listed headers (the client sets
/// `content-length` from the body itself), optionally overriding some.
async fn send(
    request: &PresignedRequest,
    body: Vec<u8>,
    overrides: &[(&str, &str)],
) -> reqwest::Response {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(request.method.as_bytes()).expect("method");
    let mut builder = client.request(method, &request.url);
    for (name, value) in &request.headers {
        if name == "content-length" {
            continue;
        }
        let value = overrides
            .iter()
            .find(|(n, _)| n == name)
            .map_or(value.as_str(), |(_, v)| *v);
        builder = builder.header(name, value);
    }
    builder
        .body(body)
        .send()
        .await
        .expect("request reaches s3s-fs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presigned_put_stores_exactly_the_signed_body() {
    let fixture = s3_blobs().await;
    let blobs = fixture.blobs();
    let body = b"\xff\xd8\xff\xe0 a tiny jpeg".to_vec();
    let request = blobs
        .presign_put(
            "originals/u/e/p1",
            &constraints(&body, "image/jpeg"),
            Presign::now(300),
        )
        .expect("presign");
    assert_eq!(request.method, "PUT");

    let response = send(&request, body.clone(), &[]).await;
    assert_eq!(
        response.status(),
        200,
        "{}",
        response.text().await.unwrap_or_default()
    );
    assert_eq!(
        blobs.get("originals/u/e/p1").await.expect("stored"),
        Bytes::from(body)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presigned_put_refuses_a_longer_body() {
    let fixture = s3_blobs().await;
    let blobs = fixture.blobs();
    let body = b"twelve bytes".to_vec();
    let request = blobs
        .presign_put("k", &constraints(&body, "image/png"), Presign::now(300))
        .expect("presign");
    let mut longer = body.clone();
    longer.push(b'!');
    assert_eq!(send(&request, longer, &[]).await.status(), 403);
    assert!(
        blobs
            .get("k")
            .await
            .expect_err("nothing stored")
            .is_not_found()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presigned_put_refuses_another_content_type() {
    let fixture = s3_blobs().await;
    let blobs = fixture.blobs();
    let body = b"<svg/>".to_vec();
    let request = blobs
        .presign_put("k", &constraints(&body, "image/png"), Presign::now(300))
        .expect("presign");
    let response = send(&request, body, &[("content-type", "image/svg+xml")]).await;
    assert_eq!(response.status(), 403);
    assert!(
        blobs
            .get("k")
            .await
            .expect_err("nothing stored")
            .is_not_found()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presigned_put_refuses_once_expired() {
    let fixture = s3_blobs().await;
    let blobs = fixture.blobs();
    let body = b"late".to_vec();
    let presign = Presign {
        signed_at: Timestamp::now().plus_secs(-120),
        expires_in_secs: 60,
    };
    let request = blobs
        .presign_put("k", &constraints(&body, "image/jpeg"), presign)
        .expect("presign");
    assert_eq!(send(&request, body, &[]).await.status(), 403);
    assert!(
        blobs
            .get("k")
            .await
            .expect_err("nothing stored")
            .is_not_found()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presigned_put_refuses_a_body_that_does_not_match_the_signed_checksum() {
    let fixture = s3_blobs().await;
    let blobs = fixture.blobs();
    let body = b"the real bytes".to_vec();
    let request = blobs
        .presign_put("k", &constraints(&body, "image/jpeg"), Presign::now(300))
        .expect("presign");
    // Same length and type, other bytes: the signature holds, the checksum does not.
    let status = send(&request, b"the fake bytes".to_vec(), &[])
        .await
        .status();
    assert_eq!(status, 400);
    // s3s-fs stores the bytes before it compares the checksum (AWS S3 stores nothing), so
    // whether the object exists afterwards is not asserted here.
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presigned_get_serves_the_object_with_the_asked_disposition() {
    let fixture = s3_blobs().await;
    let blobs = fixture.blobs();
    blobs
        .put("originals/x", Bytes::from_static(b"photo"), "image/jpeg")
        .await
        .expect("put");
    let disposition = "attachment; filename=\"IMG 0001.jpg\"; filename*=UTF-8''%C3%BC.jpg";
    let request = blobs
        .presign_get("originals/x", Some(disposition), Presign::now(300))
        .expect("presign");
    let response = send(&request, Vec::new(), &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response
            .headers()
            .get("content-disposition")
            .and_then(|v| v.to_str().ok()),
        Some(disposition)
    );
    assert_eq!(
        response.bytes().await.expect("body"),
        Bytes::from_static(b"photo")
    );

    let expired = blobs
        .presign_get(
            "originals/x",
            None,
            Presign {
                signed_at: Timestamp::now().plus_secs(-120),
                expires_in_secs: 60,
            },
        )
        .expect("presign");
    assert_eq!(send(&expired, Vec::new(), &[]).await.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_upload_with_presigned_and_server_side_parts() {
    let fixture = s3_blobs().await;
    let blobs = fixture.blobs();
    let key = "archives/e/a.zip";
    let upload_id = blobs
        .create_multipart(key, "application/zip")
        .await
        .expect("create");
    // S3 wants every part but the last to be at least 5 MiB.
    let first = vec![7u8; 5 * 1024 * 1024];
    let second = b"the tail".to_vec();

    let request = blobs
        .presign_part(key, &upload_id, 1, first.len() as u64, Presign::now(300))
        .expect("presign part");
    let response = send(&request, first.clone(), &[]).await;
    assert_eq!(response.status(), 200);
    let etag1 = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("part ETag")
        .to_owned();
    let etag2 = blobs
        .upload_part(key, &upload_id, 2, Bytes::from(second.clone()))
        .await
        .expect("upload part 2");

    let parts = blobs.list_parts(key, &upload_id).await.expect("list parts");
    let numbers: Vec<(u32, u64)> = parts.iter().map(|p| (p.part_number, p.bytes)).collect();
    assert_eq!(
        numbers,
        vec![(1, first.len() as u64), (2, second.len() as u64)]
    );

    blobs
        .complete_multipart(
            key,
            &upload_id,
            &[
                shared::ports::CompletedPart {
                    part_number: 1,
                    etag: etag1,
                },
                shared::ports::CompletedPart {
                    part_number: 2,
                    etag: etag2,
                },
            ],
        )
        .await
        .expect("complete");
    let stored = blobs.get(key).await.expect("assembled");
    assert_eq!(stored.len(), first.len() + second.len());
    assert!(stored.ends_with(b"the tail"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completing_with_a_small_non_final_part_is_invalid() {
    let fixture = s3_blobs().await;
    let blobs = fixture.blobs();
    let upload_id = blobs
        .create_multipart("a/b", "application/zip")
        .await
        .expect("create");
    let mut parts = Vec::new();
    for part_number in [1, 2] {
        let etag = blobs
            .upload_part("a/b", &upload_id, part_number, Bytes::from_static(b"tiny"))
            .await
            .expect("part");
        parts.push(shared::ports::CompletedPart { part_number, etag });
    }
    let err = blobs
        .complete_multipart("a/b", &upload_id, &parts)
        .await
        .expect_err("part 1 is under 5 MiB");
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aborted_multipart_leaves_no_object() {
    let fixture = s3_blobs().await;
    let blobs = fixture.blobs();
    let upload_id = blobs
        .create_multipart("a/b", "image/jpeg")
        .await
        .expect("create");
    blobs
        .upload_part("a/b", &upload_id, 1, Bytes::from_static(b"part"))
        .await
        .expect("part");
    blobs
        .abort_multipart("a/b", &upload_id)
        .await
        .expect("abort");
    assert!(
        blobs
            .head("a/b")
            .await
            .expect_err("no object")
            .is_not_found()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_pages_through_s3_continuation_tokens() {
    let fixture = s3_blobs().await;
    let blobs = fixture.blobs();
    for i in 0..7 {
        blobs
            .put(
                &format!("derived/e/{i}"),
                Bytes::from(vec![0; i]),
                "image/webp",
            )
            .await
            .expect("put");
    }
    blobs
        .put("derivedX", Bytes::from_static(b"x"), "image/webp")
        .await
        .expect("put outside the prefix");

    let mut seen = Vec::new();
    let mut page = PageRequest::first(3);
    loop {
        let result = blobs.list("derived/e/", &page).await.expect("list");
        assert!(result.items.len() <= 3);
        seen.extend(result.items.into_iter().map(|o| (o.key, o.bytes)));
        match result.next {
            Some(cursor) => {
                let other = blobs
                    .list("derived/", &PageRequest::after(3, cursor.clone()))
                    .await
                    .expect_err("cursor of another prefix");
                assert!(matches!(other, Error::Malformed { .. }), "{other:?}");
                page = PageRequest::after(3, cursor);
            }
            None => break,
        }
    }
    let expected: Vec<(String, u64)> = (0..7)
        .map(|i| (format!("derived/e/{i}"), i as u64))
        .collect();
    assert_eq!(seen, expected);

    assert_eq!(
        blobs
            .delete_prefix("derived/e/")
            .await
            .expect("delete prefix"),
        7
    );
    let rest = blobs
        .list("", &PageRequest::first(100))
        .await
        .expect("list all");
    let keys: Vec<String> = rest.items.into_iter().map(|o| o.key).collect();
    assert_eq!(keys, vec!["derivedX".to_owned()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_bucket_is_an_internal_error_not_a_missing_object() {
    let server = testkit::s3::S3Server::start().await;
    let blobs = shared::adapters::s3_blobs::S3Blobs::new(
        &server.sdk_config().await,
        shared::adapters::s3_blobs::S3BlobsConfig {
            bucket: "no-such-bucket".to_owned(),
            force_path_style: true,
        },
    )
    .await
    .expect("adapter");
    // A listing, because a HEAD's 404 has no body to tell bucket from key, and s3s-fs
    // answers GetObject in a missing bucket with NoSuchKey.
    let err = blobs
        .list("", &PageRequest::first(1))
        .await
        .expect_err("no bucket");
    assert!(matches!(err, Error::Internal { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_is_transient() {
    // Bind and drop a listener: its port is closed, so connecting is refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "a", "b", None, None, "t",
        ))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    let blobs = shared::adapters::s3_blobs::S3Blobs::new(
        &sdk,
        shared::adapters::s3_blobs::S3BlobsConfig {
            bucket: "bucket".to_owned(),
            force_path_style: true,
        },
    )
    .await
    .expect("adapter");
    let err = blobs.head("k").await.expect_err("unreachable");
    assert!(matches!(err, Error::Transient { .. }), "{err:?}");
}
