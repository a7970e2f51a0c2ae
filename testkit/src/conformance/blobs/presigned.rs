//! Presigned PUTs and GETs over real HTTP: exact bytes, type, checksum, key and expiry.

use bytes::Bytes;
use shared::domain::Timestamp;
use shared::ports::{Blobs, Presign};

use super::*;

/// The browser's PUT with exactly the signed type, length and checksum is stored.
pub async fn presigned_put_stores_the_exact_bytes(blobs: &dyn Blobs) {
    let body = b"a photo, byte for byte".to_vec();
    let request = blobs
        .presign_put(
            "originals/o/e/p",
            &constraints("image/jpeg", &body),
            Presign::now(300),
        )
        .expect("presign");
    assert_eq!(request.method, "PUT");
    assert!(request.expires_at > Timestamp::now());
    let response = send(&request, body.clone()).await;
    assert_eq!(response.status().as_u16(), 200, "presigned PUT");
    assert!(
        response.headers().contains_key("etag"),
        "PUT returns an ETag"
    );
    assert_eq!(blobs.get("originals/o/e/p").await.expect("get"), body);
}

/// The length is signed: one byte more or one byte less is refused and nothing is stored.
pub async fn presigned_put_with_a_byte_more_or_less_is_refused(blobs: &dyn Blobs) {
    let body = b"exactly this".to_vec();
    let request = blobs
        .presign_put(
            "up/len",
            &constraints("image/jpeg", &body),
            Presign::now(300),
        )
        .expect("presign");
    let mut longer = body.clone();
    longer.push(b'!');
    assert_refused(
        send(&request, longer).await,
        403,
        Some("SignatureDoesNotMatch"),
    )
    .await;
    let shorter = body.get(..body.len() - 1).expect("non-empty").to_vec();
    assert_refused(send(&request, shorter).await, 403, None).await;
    assert_absent(blobs, "up/len").await;
}

/// The content type is signed.
pub async fn presigned_put_with_another_content_type_is_refused(blobs: &dyn Blobs) {
    let body = b"<svg/>".to_vec();
    let request = blobs
        .presign_put(
            "up/type",
            &constraints("image/jpeg", &body),
            Presign::now(300),
        )
        .expect("presign");
    let response = send_with(&request, body, &[("content-type", "image/svg+xml")]).await;
    assert_refused(response, 403, None).await;
    assert_absent(blobs, "up/type").await;
}

/// The checksum is verified against the body: a different body of the same length is a
/// 400 BadDigest. (AWS and FsBlobs store nothing; s3s-fs stores the bytes anyway, so that
/// part is asserted in FsBlobs' own tests, not here.)
pub async fn presigned_put_with_a_wrong_checksum_is_refused_as_bad_digest(blobs: &dyn Blobs) {
    let body = b"the promised bytes".to_vec();
    let request = blobs
        .presign_put(
            "up/sum",
            &constraints("image/jpeg", &body),
            Presign::now(300),
        )
        .expect("presign");
    let other = b"THE PROMISED BYTES".to_vec();
    assert_eq!(other.len(), body.len());
    assert_refused(send(&request, other).await, 400, Some("BadDigest")).await;
}

/// Past their expiry, PUT and GET URLs are refused with S3's AccessDenied.
pub async fn expired_presigned_requests_are_refused(blobs: &dyn Blobs) {
    let body = b"late".to_vec();
    let put = blobs
        .presign_put("up/late", &constraints("image/jpeg", &body), expired())
        .expect("presign put");
    assert!(put.expires_at <= Timestamp::now());
    assert_refused(send(&put, body).await, 403, Some("AccessDenied")).await;
    assert_absent(blobs, "up/late").await;

    put_text(blobs, "up/present").await;
    let get = blobs
        .presign_get("up/present", None, expired())
        .expect("presign get");
    assert_refused(send(&get, Bytes::new()).await, 403, Some("AccessDenied")).await;
}

/// A URL signed for one key does not work for another.
pub async fn presigned_put_used_for_another_key_is_refused(blobs: &dyn Blobs) {
    let body = b"mine".to_vec();
    let mut request = blobs
        .presign_put(
            "up/mine.bin",
            &constraints("image/jpeg", &body),
            Presign::now(300),
        )
        .expect("presign");
    assert!(request.url.contains("/up/mine.bin?"), "{}", request.url);
    request.url = request.url.replace("/up/mine.bin?", "/up/your.bin?");
    assert_refused(send(&request, body).await, 403, None).await;
    assert_absent(blobs, "up/your.bin").await;
    assert_absent(blobs, "up/mine.bin").await;
}

/// A presigned GET returns the bytes, the stored type and the signed download name.
pub async fn presigned_get_returns_the_bytes_with_the_content_disposition(blobs: &dyn Blobs) {
    let body = Bytes::from_static(b"jpeg bytes");
    blobs
        .put("derived/o/e/p/web", body.clone(), "image/jpeg")
        .await
        .expect("put");
    let disposition = "attachment; filename=\"IMG 0001.jpg\"";
    let request = blobs
        .presign_get("derived/o/e/p/web", Some(disposition), Presign::now(300))
        .expect("presign");
    assert_eq!(request.method, "GET");
    let response = send(&request, Bytes::new()).await;
    assert_eq!(response.status().as_u16(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(header("content-disposition").as_deref(), Some(disposition));
    assert_eq!(header("content-type").as_deref(), Some("image/jpeg"));
    assert_eq!(response.bytes().await.expect("body"), body);

    let plain = blobs
        .presign_get("derived/o/e/p/web", None, Presign::now(300))
        .expect("presign plain");
    let response = send(&plain, Bytes::new()).await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(!response.headers().contains_key("content-disposition"));
}

/// A validly signed GET of nothing is S3's 404 NoSuchKey.
pub async fn presigned_get_of_a_missing_key_is_not_found(blobs: &dyn Blobs) {
    let request = blobs
        .presign_get("nothing/here", None, Presign::now(300))
        .expect("presign");
    assert_refused(send(&request, Bytes::new()).await, 404, Some("NoSuchKey")).await;
}

/// A presigned GET with a `Range` of one window answers 206 with that window and its
/// `Content-Range`; a range starting past the end is S3's 416 InvalidRange.
pub async fn presigned_get_with_a_range_returns_that_window(blobs: &dyn Blobs) {
    let body: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    blobs
        .put(
            "archives/e/ranged.zip",
            Bytes::from(body.clone()),
            "application/zip",
        )
        .await
        .expect("put");
    let request = blobs
        .presign_get("archives/e/ranged.zip", None, Presign::now(300))
        .expect("presign");
    for (range, first, last) in [
        ("bytes=100-199", 100usize, 199usize),
        ("bytes=990-", 990, 999),
        ("bytes=-10", 990, 999),
        ("bytes=0-5000", 0, 999),
    ] {
        let response = send_with(&request, Bytes::new(), &[("range", range)]).await;
        assert_eq!(response.status().as_u16(), 206, "{range}");
        let content_range = response
            .headers()
            .get("content-range")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        assert_eq!(
            content_range.as_deref(),
            Some(format!("bytes {first}-{last}/1000").as_str()),
            "{range}"
        );
        let window = body.get(first..=last).expect("window");
        assert_eq!(response.bytes().await.expect("body"), window, "{range}");
    }
    let past = send_with(&request, Bytes::new(), &[("range", "bytes=1000-")]).await;
    assert_refused(past, 416, Some("InvalidRange")).await;
}
