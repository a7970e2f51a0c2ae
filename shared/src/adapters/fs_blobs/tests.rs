//! Behaviour specific to the filesystem store (the shared behaviour is in the testkit's
//! blobs conformance suite).

use ::http::{Method, Request, StatusCode};
use bytes::Bytes;
use http_body_util::Full;
use sha2::{Digest, Sha256};

use super::*;
use crate::domain::PageRequest;

fn store() -> (tempfile::TempDir, FsBlobs) {
    let dir = tempfile::tempdir().expect("temp dir");
    let blobs = FsBlobs::open(dir.path(), "http://127.0.0.1:9/blobs", &[42u8; 32]).expect("open");
    (dir, blobs)
}

fn request(presigned: &PresignedRequest, body: &'static [u8]) -> Request<Full<Bytes>> {
    let mut builder = Request::builder()
        .method(presigned.method.as_str())
        .uri(presigned.url.as_str());
    for (name, value) in &presigned.headers {
        builder = builder.header(name.as_str(), value.as_str());
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
    assert!(String::from_utf8_lossy(response.body()).contains("<Code>BadDigest</Code>"));
    assert!(
        blobs
            .head("up/x.jpg")
            .await
            .expect_err("absent")
            .is_not_found()
    );
    let leftovers: Vec<_> = walk_files(dir.path());
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn walk_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
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
