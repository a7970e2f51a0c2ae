//! Composite objects (completed multipart uploads): reads across parts, presigned GETs with
//! and without `Range`, replacement and deletion leaving no part files, listing, the sweep.

use std::sync::Arc;
use std::time::Duration;

use ::http::StatusCode;
use bytes::Bytes;
use http_body_util::BodyExt;

use super::tests::{request, store, walk_files};
use super::*;
use crate::domain::PageRequest;

const MIB: usize = 1024 * 1024;

/// Three parts: 5 MiB, 5 MiB + 3, and 10 bytes, each with its own byte pattern.
fn three_parts(seed: u8) -> [Vec<u8>; 3] {
    let pattern = |len: usize, salt: u8| -> Vec<u8> {
        (0..len)
            .map(|i| (i % 251) as u8 ^ salt.wrapping_add(seed))
            .collect()
    };
    [pattern(5 * MIB, 1), pattern(5 * MIB + 3, 2), pattern(10, 3)]
}

/// Uploads `parts` to `key` as one multipart upload and completes it; returns the bytes.
async fn compose(blobs: &FsBlobs, key: &str, parts: &[Vec<u8>]) -> Vec<u8> {
    let upload = blobs
        .create_multipart(key, "application/zip")
        .await
        .expect("create");
    let mut completed = Vec::new();
    for (number, body) in (1u32..).zip(parts) {
        let etag = blobs
            .upload_part(key, &upload, number, Bytes::from(body.clone()))
            .await
            .expect("part");
        completed.push(CompletedPart {
            part_number: number,
            etag,
        });
    }
    blobs
        .complete_multipart(key, &upload, &completed)
        .await
        .expect("complete");
    parts.concat()
}

fn window(bytes: &[u8], offset: usize, len: usize) -> &[u8] {
    let start = offset.min(bytes.len());
    bytes
        .get(start..(start + len).min(bytes.len()))
        .expect("in range")
}

#[tokio::test]
async fn ranged_reads_cross_the_part_boundaries_of_a_completed_upload() {
    let (_dir, blobs) = store();
    let whole = compose(&blobs, "archives/e/a.zip", &three_parts(0)).await;
    let first_end = 5 * MIB;
    let second_end = 10 * MIB + 3;
    for (offset, len) in [
        (0, 16),
        (first_end - 5, 10),
        (second_end - 4, 14),
        (first_end - 1, second_end - first_end + 2),
        (0, whole.len()),
        (whole.len() - 3, 100),
        (whole.len(), 10),
        (whole.len() + 7, 10),
    ] {
        let read = blobs
            .get_range("archives/e/a.zip", offset as u64, len as u64)
            .await
            .expect("range");
        assert!(
            read == window(&whole, offset, len),
            "range {offset}+{len} differs"
        );
    }
    assert_eq!(
        blobs.head("archives/e/a.zip").await.expect("head").bytes,
        whole.len() as u64
    );
    assert!(blobs.get("archives/e/a.zip").await.expect("get") == whole);
    let record = blobs.object_file("archives/e/a.zip").expect("path");
    let record_bytes = std::fs::metadata(record).expect("record").len();
    assert!(
        record_bytes < 1024,
        "completion composed, not copied: {record_bytes}"
    );
}

#[tokio::test]
async fn presigned_gets_of_a_completed_upload_serve_it_whole_or_by_range() {
    let (_dir, blobs) = store();
    let key = "archives/e/b.zip";
    let whole = compose(&blobs, key, &three_parts(7)).await;
    let presigned = blobs
        .presign_get(key, Some("attachment"), Presign::now(60))
        .expect("presign");

    let response = blobs.serve(request(&presigned, b"")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-length"), whole.len().to_string());
    assert_eq!(header(&response, "accept-ranges"), "bytes");
    assert!(body(response).await == whole, "whole body differs");

    let len = whole.len();
    let across = (5 * MIB - 2, 10 * MIB + 4);
    for (range, (first, last)) in [
        (format!("bytes={}-{}", across.0, across.1), across),
        (format!("bytes={}-", len - 12), (len - 12, len - 1)),
        ("bytes=-12".to_owned(), (len - 12, len - 1)),
        (format!("bytes=0-{}", len + 100), (0, len - 1)),
    ] {
        let response = blobs.serve(with_range(&presigned, &range)).await;
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(
            header(&response, "content-range"),
            format!("bytes {first}-{last}/{len}")
        );
        assert_eq!(
            header(&response, "content-length"),
            (last + 1 - first).to_string()
        );
        assert!(
            body(response).await == window(&whole, first, last + 1 - first),
            "{range}: body differs"
        );
    }

    let response = blobs
        .serve(with_range(&presigned, &format!("bytes={len}-")))
        .await;
    assert_eq!(response.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(header(&response, "content-range"), format!("bytes */{len}"));
    let text = String::from_utf8(body(response).await.to_vec()).expect("utf-8");
    assert!(text.contains("<Code>InvalidRange</Code>"), "{text}");
}

fn with_range(
    presigned: &PresignedRequest,
    range: &str,
) -> ::http::Request<http_body_util::Full<Bytes>> {
    let mut request = request(presigned, b"");
    let value = ::http::HeaderValue::from_str(range).expect("header value");
    request.headers_mut().insert(::http::header::RANGE, value);
    request
}

fn header(response: &::http::Response<BlobBody>, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn body(response: ::http::Response<BlobBody>) -> Bytes {
    response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
}

#[tokio::test]
async fn replacing_or_deleting_a_composite_object_leaves_no_part_files() {
    let (dir, blobs) = store();
    let key = "archives/e/c.zip";
    let parts_root = dir.path().join("objects").join(composite::PARTS_DIR);

    compose(&blobs, key, &three_parts(1)).await;
    let newer = compose(&blobs, key, &three_parts(2)).await;
    assert!(blobs.get(key).await.expect("get") == newer);
    let dirs = std::fs::read_dir(&parts_root).expect("parts").count();
    assert_eq!(dirs, 1, "the replaced composite's parts are gone");

    blobs
        .put(key, Bytes::from_static(b"plain"), "text/plain")
        .await
        .expect("put over it");
    assert_eq!(std::fs::read_dir(&parts_root).expect("parts").count(), 0);
    assert_eq!(walk_files(dir.path()).len(), 1, "only the plain record");

    compose(&blobs, key, &three_parts(3)).await;
    blobs.delete(key).await.expect("delete");
    assert!(blobs.head(key).await.expect_err("gone").is_not_found());
    let left = walk_files(dir.path());
    assert!(left.is_empty(), "{left:?}");

    compose(&blobs, key, &three_parts(4)).await;
    assert_eq!(blobs.delete_prefix("archives/").await.expect("prefix"), 1);
    let left = walk_files(dir.path());
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn listings_show_a_composite_object_with_its_size_and_never_its_parts() {
    let (_dir, blobs) = store();
    let whole = compose(&blobs, "archives/e/d.zip", &three_parts(5)).await;
    blobs
        .put("archives/e/note", Bytes::from_static(b"n"), "text/plain")
        .await
        .expect("put");
    for prefix in ["", "archives/", "archives/e/"] {
        let page = blobs
            .list(prefix, &PageRequest::first(10))
            .await
            .expect("list");
        let listed: Vec<(&str, u64)> = page
            .items
            .iter()
            .map(|o| (o.key.as_str(), o.bytes))
            .collect();
        assert_eq!(
            listed,
            [
                ("archives/e/d.zip", whole.len() as u64),
                ("archives/e/note", 1)
            ],
            "{prefix:?}"
        );
    }
    let etag = blobs.head("archives/e/d.zip").await.expect("head").etag;
    assert!(etag.expect("etag").ends_with("-3\""));
}

#[tokio::test]
async fn a_completed_upload_takes_no_more_parts_and_is_not_revived() {
    let (dir, blobs) = store();
    let key = "archives/e/e.zip";
    let upload = blobs
        .create_multipart(key, "application/zip")
        .await
        .expect("create");
    let etag = blobs
        .upload_part(key, &upload, 1, Bytes::from_static(b"only"))
        .await
        .expect("part");
    blobs
        .complete_multipart(
            key,
            &upload,
            &[CompletedPart {
                part_number: 1,
                etag,
            }],
        )
        .await
        .expect("complete");
    let late = blobs
        .upload_part(key, &upload, 2, Bytes::from_static(b"late"))
        .await
        .expect_err("no such upload");
    assert!(late.is_not_found(), "{late:?}");
    let uploads = std::fs::read_dir(dir.path().join("uploads"))
        .expect("uploads")
        .count();
    assert_eq!(uploads, 0, "the upload's directory is not recreated");
    assert_eq!(blobs.get(key).await.expect("get"), "only");
}

#[tokio::test]
async fn a_reader_holding_a_replaced_composite_reads_the_new_object_instead() {
    let (_dir, blobs) = store();
    let key = "archives/e/f.zip";
    compose(&blobs, key, &three_parts(1)).await;
    let path = blobs.object_file(key).expect("path");
    let mut stale = body::open(&blobs.objects, &path)
        .expect("open")
        .expect("exists");
    let newer = compose(&blobs, key, &three_parts(2)).await;
    assert!(
        matches!(stale.read(0, 10), Err(body::ReadError::Vanished)),
        "the old parts are gone"
    );
    let fresh = body::read_fresh(&blobs.objects, &path, |object| object.read(0, 10))
        .expect("read")
        .expect("exists");
    assert!(fresh == window(&newer, 0, 10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_see_one_composite_or_the_other_while_it_is_replaced() {
    let (_dir, blobs) = store();
    let blobs = Arc::new(blobs);
    let key = "archives/e/g.zip";
    let versions = [three_parts(10).concat(), three_parts(20).concat()];
    compose(&blobs, key, &three_parts(10)).await;
    let writer = {
        let blobs = Arc::clone(&blobs);
        tokio::spawn(async move {
            for i in 0..6u8 {
                compose(&blobs, key, &three_parts(if i % 2 == 0 { 20 } else { 10 })).await;
            }
        })
    };
    let across = (5 * MIB - 8) as u64;
    while !writer.is_finished() {
        let seen = blobs.get_range(key, across, 5 * MIB as u64 + 16).await;
        let seen = seen.expect("a reader never fails on a replaced object");
        assert!(
            versions
                .iter()
                .any(|v| seen == window(v, across as usize, 5 * MIB + 16)),
            "a read mixed two versions"
        );
    }
    writer.await.expect("writer");
}

#[tokio::test]
async fn orphaned_parts_are_swept_after_the_grace_period_and_live_ones_kept() {
    let (dir, blobs) = store();
    let whole = compose(&blobs, "archives/e/h.zip", &three_parts(1)).await;
    // What a crash between moving an upload and publishing its record leaves.
    let upload = blobs
        .create_multipart("archives/e/i.zip", "application/zip")
        .await
        .expect("create");
    blobs
        .upload_part("archives/e/i.zip", &upload, 1, Bytes::from_static(b"x"))
        .await
        .expect("part");
    let orphan = composite::parts_dir(&blobs.objects, &upload).expect("dir");
    std::fs::rename(dir.path().join("uploads").join(&upload), &orphan).expect("move");

    let sweep = |grace| composite::sweep(&blobs.objects, grace, multipart::manifest_key);
    assert_eq!(sweep(Duration::from_secs(3600)).expect("sweep"), 0);
    assert!(
        orphan.exists(),
        "a recent directory may be a completion in progress"
    );
    assert_eq!(sweep(Duration::ZERO).expect("sweep"), 1);
    assert!(!orphan.exists());
    assert!(blobs.get("archives/e/h.zip").await.expect("live") == whole);
    drop(FsBlobs::open(dir.path(), "http://127.0.0.1:9", &[42u8; 32]).expect("reopen"));
    assert!(blobs.get("archives/e/h.zip").await.expect("live") == whole);
}

#[tokio::test]
async fn a_snapshot_holds_every_object_whole_composites_included_and_no_upload_in_progress() {
    let (dir, blobs) = store();
    blobs
        .put(
            "events/e1/originals/a.jpg",
            Bytes::from_static(b"plain"),
            "image/jpeg",
        )
        .await
        .expect("put");
    blobs
        .put(
            "events/e1/thumbs/a.jpg",
            Bytes::from_static(b"thumb"),
            "image/jpeg",
        )
        .await
        .expect("put");
    let composed = compose(&blobs, "archives/e1/all.zip", &three_parts(7)).await;
    let open_upload = blobs
        .create_multipart("archives/e1/half.zip", "application/zip")
        .await
        .expect("create");
    blobs
        .upload_part(
            "archives/e1/half.zip",
            &open_upload,
            1,
            Bytes::from(vec![1u8; 5 * MIB]),
        )
        .await
        .expect("part");

    let copy = tempfile::tempdir().expect("copy dir");
    let stats = snapshot::copy_objects(dir.path(), copy.path()).expect("snapshot");
    assert_eq!((stats.objects, stats.vanished), (3, 0));
    assert_eq!(
        stats.linked,
        2 + 1 + 3,
        "same filesystem: every file linked"
    );
    assert!(stats.bytes >= composed.len() as u64 + 10);

    // The source changes afterwards; the copy does not.
    blobs.delete("archives/e1/all.zip").await.expect("delete");
    blobs
        .put(
            "events/e1/originals/a.jpg",
            Bytes::from_static(b"replaced"),
            "image/jpeg",
        )
        .await
        .expect("replace");

    let restored =
        FsBlobs::open(copy.path(), "http://127.0.0.1:9/blobs", &[42u8; 32]).expect("open copy");
    assert_eq!(
        &restored
            .get("events/e1/originals/a.jpg")
            .await
            .expect("get")[..],
        b"plain"
    );
    assert_eq!(
        &restored.get("events/e1/thumbs/a.jpg").await.expect("get")[..],
        b"thumb"
    );
    assert_eq!(
        restored
            .get("archives/e1/all.zip")
            .await
            .expect("get composite"),
        composed
    );
    assert!(
        restored
            .head("archives/e1/half.zip")
            .await
            .expect_err("not completed")
            .is_not_found()
    );
    assert!(
        !copy.path().join("uploads").join(&open_upload).exists(),
        "uploads in progress are not copied"
    );
}
