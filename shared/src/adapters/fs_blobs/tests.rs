//! Behaviour specific to the filesystem store (the shared behaviour is in the testkit's
//! blobs conformance suite).

use ::http::{Method, Request, StatusCode};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use sha2::{Digest, Sha256};

use super::*;
use crate::domain::PageRequest;

pub(super) fn store() -> (tempfile::TempDir, FsBlobs) {
    let dir = tempfile::tempdir().expect("temp dir");
    let blobs = FsBlobs::open(dir.path(), "http://127.0.0.1:9/blobs", &[42u8; 32]).expect("open");
    (dir, blobs)
}

pub(super) fn request(presigned: &PresignedRequest, body: &'static [u8]) -> Request<Full<Bytes>> {
    let mut builder = Request::builder()
        .method(presigned.method.as_str())
        .uri(presigned.url.as_str());
    for (name, value) in &presigned.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    // What an HTTP client adds itself when the presigned request does not name it.
    if !presigned.headers.iter().any(|(n, _)| n == "content-length") {
        builder = builder.header("content-length", body.len());
    }
    builder
        .body(Full::new(Bytes::from_static(body)))
        .expect("request")
}

fn constraints(body: &[u8]) -> PutConstraints {
    PutConstraints {
        content_type: "image/jpeg".to_owned(),
        content_length: body.len() as u64,
        sha256: Sha256::digest(body).into(),
    }
}

#[tokio::test]
async fn bad_digest_stores_nothing_not_even_a_temp_file() {
    let (dir, blobs) = store();
    let presigned = blobs
        .presign_put("up/x.jpg", &constraints(b"right"), Presign::now(60))
        .expect("presign");
    let response = blobs.serve(request(&presigned, b"wrong")).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(text(response).await.contains("<Code>BadDigest</Code>"));
    assert!(
        blobs
            .head("up/x.jpg")
            .await
            .expect_err("absent")
            .is_not_found()
    );
    let leftovers: Vec<_> = walk_files(dir.path());
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(
        !dir.path().join("objects").join("up.d").exists(),
        "directories made for the refused upload are pruned"
    );
}

async fn text(response: ::http::Response<BlobBody>) -> String {
    let body = response
        .into_body()
        .collect()
        .await
        .expect("response body")
        .to_bytes();
    String::from_utf8_lossy(&body).into_owned()
}

pub(super) fn walk_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk_files(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn keys_that_would_escape_the_root_are_invalid() {
    let (_dir, blobs) = store();
    for bad in ["../escape", "/abs", "a//b", "a/../b", ""] {
        let err = blobs
            .put(bad, Bytes::from_static(b"x"), "text/plain")
            .await
            .expect_err(bad);
        assert!(matches!(err, Error::Invalid { .. }), "{bad}: {err:?}");
        assert!(matches!(blobs.get(bad).await, Err(Error::Invalid { .. })));
        assert!(matches!(
            blobs.presign_get(bad, None, Presign::now(60)),
            Err(Error::Invalid { .. })
        ));
    }
}

#[tokio::test]
async fn a_key_and_keys_below_it_coexist_like_in_s3() {
    let (_dir, blobs) = store();
    for key in ["a/b", "a/b/c", "a/b.d", "a/b.o"] {
        blobs
            .put(key, Bytes::from(key.to_owned()), "text/plain")
            .await
            .expect("put");
    }
    for key in ["a/b", "a/b/c", "a/b.d", "a/b.o"] {
        assert_eq!(blobs.get(key).await.expect("get"), key.as_bytes());
    }
    let page = blobs
        .list("a/", &PageRequest::first(10))
        .await
        .expect("list");
    let keys: Vec<_> = page.items.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["a/b", "a/b.d", "a/b.o", "a/b/c"]);
}

#[tokio::test]
async fn etags_are_quoted_sha256_of_the_body() {
    let (_dir, blobs) = store();
    blobs
        .put("k", Bytes::from_static(b"hello"), "text/plain")
        .await
        .expect("put");
    let info = blobs.head("k").await.expect("head");
    assert_eq!(
        info.etag.as_deref(),
        Some(format!("\"{}\"", hex::encode(Sha256::digest(b"hello"))).as_str())
    );
}

#[tokio::test]
async fn unsigned_or_tampered_query_parameters_are_refused() {
    let (_dir, blobs) = store();
    blobs
        .put("k", Bytes::from_static(b"hello"), "text/plain")
        .await
        .expect("put");
    let presigned = blobs
        .presign_get(
            "k",
            Some("attachment; filename=\"a.txt\""),
            Presign::now(60),
        )
        .expect("presign");
    let ok = blobs.serve(request(&presigned, b"")).await;
    assert_eq!(ok.status(), StatusCode::OK);
    for tampered in [
        presigned.url.replace("a.txt", "b.txt"),
        format!("{}&extra=1", presigned.url),
        presigned
            .url
            .replace("X-Picpass-Signature=", "X-Picpass-Signature=00"),
    ] {
        let mut req = request(&presigned, b"");
        *req.uri_mut() = tampered.parse().expect("uri");
        assert_eq!(
            blobs.serve(req).await.status(),
            StatusCode::FORBIDDEN,
            "{tampered}"
        );
    }
    let mut put = request(&presigned, b"");
    *put.method_mut() = Method::PUT;
    assert_eq!(blobs.serve(put).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn completion_refuses_wrong_etags_small_parts_and_bad_order() {
    let (_dir, blobs) = store();
    let upload = blobs
        .create_multipart("m", "text/plain")
        .await
        .expect("create");
    let one = blobs
        .upload_part("m", &upload, 1, Bytes::from_static(b"small"))
        .await
        .expect("part 1");
    let two = blobs
        .upload_part("m", &upload, 2, Bytes::from_static(b"tail"))
        .await
        .expect("part 2");
    let part = |n, etag: &str| CompletedPart {
        part_number: n,
        etag: etag.to_owned(),
    };
    for parts in [
        vec![part(1, &two)],
        vec![part(2, &two), part(1, &one)],
        vec![part(1, &one), part(2, &two)],
        vec![part(3, &two)],
        vec![],
    ] {
        let err = blobs
            .complete_multipart("m", &upload, &parts)
            .await
            .expect_err("refused");
        assert!(matches!(err, Error::Invalid { .. }), "{parts:?}: {err:?}");
    }
    assert!(matches!(
        blobs.upload_part("m", &upload, 0, Bytes::new()).await,
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        blobs.upload_part("m", &upload, 10_001, Bytes::new()).await,
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        blobs.list_parts("other", &upload).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        blobs.list_parts("m", "../../etc").await,
        Err(Error::NotFound { .. })
    ));
    blobs
        .complete_multipart("m", &upload, &[part(1, &one)])
        .await
        .expect("a single small part is fine: it is the last");
    assert_eq!(blobs.get("m").await.expect("get"), "small");
    assert!(
        blobs
            .head("m")
            .await
            .expect("head")
            .etag
            .expect("etag")
            .ends_with("-1\"")
    );
}

#[test]
fn weak_keys_and_bad_base_urls_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    assert!(FsBlobs::open(dir.path(), "http://127.0.0.1:1", &[1u8; 16]).is_err());
    assert!(FsBlobs::open(dir.path(), "ftp://127.0.0.1:1", &[1u8; 32]).is_err());
    assert!(FsBlobs::open(dir.path(), "not a url", &[1u8; 32]).is_err());
}

#[tokio::test]
async fn a_body_longer_than_its_signed_length_is_refused_and_not_stored() {
    let (dir, blobs) = store();
    let presigned = blobs
        .presign_put("up/long", &constraints(b"four"), Presign::now(60))
        .expect("presign");
    // The header claims the signed length; the body runs past it.
    let response = blobs.serve(request(&presigned, b"four and more")).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(text(response).await.contains("<Code>IncompleteBody</Code>"));
    assert!(
        blobs
            .head("up/long")
            .await
            .expect_err("absent")
            .is_not_found()
    );
    assert!(walk_files(dir.path()).is_empty());
}

#[tokio::test]
async fn a_presigned_part_of_an_unknown_upload_is_no_such_upload() {
    let (_dir, blobs) = store();
    let upload = ulid::Ulid::generate().to_string();
    let presigned = blobs
        .presign_part("m", &upload, 1, 4, Presign::now(60))
        .expect("presign");
    let response = blobs.serve(request(&presigned, b"part")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(text(response).await.contains("<Code>NoSuchUpload</Code>"));
    assert!(matches!(
        blobs.presign_part("m", &upload, 0, 4, Presign::now(60)),
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        blobs.presign_get("m", None, Presign::now(604_801)),
        Err(Error::Invalid { .. })
    ));
}

#[tokio::test]
async fn temporary_and_foreign_files_are_never_listed() {
    let (dir, blobs) = store();
    blobs
        .put("a/k", Bytes::from_static(b"x"), "text/plain")
        .await
        .expect("put");
    let objects = dir.path().join("objects");
    std::fs::write(objects.join("a.d").join(".tmp-leftover"), b"junk").expect("temp");
    std::fs::write(objects.join("README"), b"junk").expect("foreign");
    let page = blobs.list("", &PageRequest::first(10)).await.expect("list");
    let keys: Vec<_> = page.items.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["a/k"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_never_show_a_torn_object() {
    let (_dir, blobs) = store();
    let blobs = std::sync::Arc::new(blobs);
    let bodies = [
        Bytes::from(vec![b'a'; 256 * 1024]),
        Bytes::from(vec![b'b'; 128 * 1024]),
    ];
    blobs
        .put("hot", bodies[0].clone(), "text/plain")
        .await
        .expect("seed");
    let writers: Vec<_> = bodies
        .iter()
        .cloned()
        .map(|body| {
            let blobs = std::sync::Arc::clone(&blobs);
            tokio::spawn(async move {
                for _ in 0..20 {
                    blobs
                        .put("hot", body.clone(), "text/plain")
                        .await
                        .expect("put");
                }
            })
        })
        .collect();
    for _ in 0..40 {
        let seen = blobs.get("hot").await.expect("get");
        assert!(bodies.contains(&seen), "torn read of {} bytes", seen.len());
    }
    for writer in writers {
        writer.await.expect("writer");
    }
    let info = blobs.head("hot").await.expect("head");
    let body = blobs.get("hot").await.expect("get");
    assert_eq!(info.bytes, body.len() as u64);
    assert_eq!(
        info.etag.as_deref(),
        Some(format!("\"{}\"", hex::encode(Sha256::digest(&body))).as_str())
    );
}

#[tokio::test]
async fn every_stored_object_is_announced_and_refusals_are_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (sender, mut events) = tokio::sync::mpsc::unbounded_channel();
    let blobs = FsBlobs::open(dir.path(), "http://127.0.0.1:9", &[42u8; 32])
        .expect("open")
        .notify_created(sender);
    blobs
        .put("a", Bytes::from_static(b"one"), "text/plain")
        .await
        .expect("put");
    let presigned = blobs
        .presign_put("b", &constraints(b"two"), Presign::now(60))
        .expect("presign");
    assert_eq!(
        blobs.serve(request(&presigned, b"bad")).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        blobs.serve(request(&presigned, b"two")).await.status(),
        StatusCode::OK
    );
    let upload = blobs
        .create_multipart("c", "text/plain")
        .await
        .expect("create");
    let etag = blobs
        .upload_part("c", &upload, 1, Bytes::from_static(b"three"))
        .await
        .expect("part");
    blobs
        .complete_multipart(
            "c",
            &upload,
            &[CompletedPart {
                part_number: 1,
                etag,
            }],
        )
        .await
        .expect("complete");
    let mut announced = Vec::new();
    while let Ok(event) = events.try_recv() {
        announced.push((event.key, event.bytes));
    }
    assert_eq!(
        announced,
        [
            ("a".to_owned(), 3),
            ("b".to_owned(), 3),
            ("c".to_owned(), 5)
        ]
    );
}

#[tokio::test]
async fn a_presigned_get_streams_exactly_the_body_of_a_large_object() {
    let (_dir, blobs) = store();
    let body: Bytes = (0..3 * 1024 * 1024 + 17)
        .map(|i| (i % 253) as u8)
        .collect::<Vec<u8>>()
        .into();
    blobs
        .put("big/object", body.clone(), "application/zip")
        .await
        .expect("put");
    let presigned = blobs
        .presign_get("big/object", None, Presign::now(60))
        .expect("presign");
    let response = blobs.serve(request(&presigned, b"")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok()),
        Some(body.len().to_string().as_str())
    );
    let received = response
        .into_body()
        .collect()
        .await
        .expect("streamed body")
        .to_bytes();
    assert!(received == body, "streamed body differs");
}

#[tokio::test]
async fn objects_are_served_with_their_stored_type_never_sniffed_and_sandboxed() {
    let (_dir, blobs) = store();
    let polyglot = b"\xff\xd8\xff\xfe<script>alert(1)</script>";
    blobs
        .put(
            "originals/o/e/p",
            Bytes::from_static(polyglot),
            "image/jpeg",
        )
        .await
        .expect("put");
    blobs
        .put("untyped", Bytes::from_static(b"<html>"), "")
        .await
        .expect("put");
    for (key, expected_type) in [
        ("originals/o/e/p", "image/jpeg"),
        ("untyped", "application/octet-stream"),
    ] {
        let presigned = blobs
            .presign_get(key, None, Presign::now(60))
            .expect("presign");
        let response = blobs.serve(request(&presigned, b"")).await;
        assert_eq!(response.status(), StatusCode::OK, "{key}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(
            header("content-type").as_deref(),
            Some(expected_type),
            "{key}"
        );
        assert_eq!(
            header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{key}"
        );
        let csp = header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("sandbox") && csp.contains("default-src 'none'"),
            "{key}: {csp}"
        );
    }
}

#[tokio::test]
async fn a_bounded_read_refuses_a_larger_object_before_reading_it() {
    let (_dir, blobs) = store();
    blobs
        .put("big", Bytes::from(vec![7u8; 4096]), "image/jpeg")
        .await
        .expect("put");
    let err = blobs
        .get_bounded("big", 4095)
        .await
        .expect_err("over the bound");
    assert_eq!(err.http_status(), 413, "{err}");
    assert_eq!(err.code(), "object_too_large");
    assert_eq!(
        blobs
            .get_bounded("big", 4096)
            .await
            .expect("at the bound")
            .len(),
        4096
    );
}

/// Two deliveries of an archive job may complete its upload at the same moment: each sees
/// the object whole, neither fails on the staging directory the other removed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_completions_of_one_upload_at_once_leave_the_object_whole() {
    let (_dir, blobs) = store();
    let blobs = std::sync::Arc::new(blobs);
    let key = "archives/e/a.zip";
    let first = vec![7u8; 5 * 1024 * 1024];
    for _ in 0..20 {
        let upload = blobs
            .create_multipart(key, "application/zip")
            .await
            .expect("create");
        let parts = vec![
            CompletedPart {
                part_number: 1,
                etag: blobs
                    .upload_part(key, &upload, 1, Bytes::from(first.clone()))
                    .await
                    .expect("part 1"),
            },
            CompletedPart {
                part_number: 2,
                etag: blobs
                    .upload_part(key, &upload, 2, Bytes::from_static(b"end"))
                    .await
                    .expect("part 2"),
            },
        ];
        let complete =
            |blobs: std::sync::Arc<FsBlobs>, upload: String, parts: Vec<CompletedPart>| {
                tokio::spawn(async move { blobs.complete_multipart(key, &upload, &parts).await })
            };
        let a = complete(blobs.clone(), upload.clone(), parts.clone());
        let b = complete(blobs.clone(), upload.clone(), parts.clone());
        let outcomes = [a.await.expect("task"), b.await.expect("task")];
        assert!(outcomes.iter().any(Result::is_ok), "{outcomes:?}");
        for outcome in &outcomes {
            // The loser may find the upload already gone or its parts taken: never an
            // internal error.
            if let Err(e) = outcome {
                assert!(
                    matches!(e, Error::NotFound { .. } | Error::Invalid { .. }),
                    "{e:?}"
                );
            }
        }
        assert_eq!(
            blobs.head(key).await.expect("head").bytes,
            first.len() as u64 + 3
        );
    }
}
