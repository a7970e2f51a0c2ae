//! The `Blobs` conformance suite: what every adapter guarantees, checked through the port
//! and, for presigned requests, over real HTTP with `reqwest` as a browser would.
//!
//! Cases assert only what AWS S3 guarantees, so they hold for `S3Blobs` on s3s-fs and for
//! `FsBlobs`. Where s3s-fs deviates (see the handbook's FACTS) a case tolerates the
//! deviation and says so: a wrong checksum is asserted refused but not "nothing stored"
//! (s3s-fs stores the bytes anyway; FsBlobs' own unit tests assert it stores nothing), and
//! an aborted upload's parts may list as empty instead of `NotFound`. (s3s-fs lists parts
//! without ETags; the test server in `crate::s3` adds them, as AWS S3 lists them.) No case stores both `x` and `x/y`: S3 allows it, but a
//! store that maps keys to plain paths (s3s-fs) cannot; FsBlobs' own tests cover it.
//!
//! Instantiate with [`blobs_conformance!`](crate::blobs_conformance): the fixture expression
//! must evaluate (after `.await`) to a value with `fn blobs(&self) -> &dyn Blobs`, owning
//! whatever must outlive the test (temporary directories, servers).

use bytes::Bytes;
use sha2::{Digest, Sha256};
use shared::Error;
use shared::domain::{PageRequest, Timestamp};
use shared::ports::{Blobs, CompletedPart, Presign, PresignedRequest, PutConstraints};

/// Every case, in one list: the macro instantiates exactly these.
/// `blobs_conformance!(fs, testkit::fixtures::fs_blobs());` makes a module `fs` with one
/// `#[tokio::test]` per case, each on a fresh fixture, plus `fs::every_written_case_is_listed`;
/// `blobs_conformance!(@names)` is the list as names.
#[macro_export]
macro_rules! blobs_conformance {
    ($adapter:ident, $fixture:expr) => {
        $crate::blobs_conformance!(@list [tests $adapter, $fixture]);
    };
    (@names) => {
        $crate::blobs_conformance!(@list [names])
    };
    (@list $how:tt) => {
        $crate::blobs_conformance! { @expand $how;
            put_then_get_returns_the_bytes_and_head_the_size,
            put_over_an_existing_key_replaces_it,
            get_and_head_of_a_missing_key_are_not_found,
            bounded_get_refuses_an_object_over_its_bound,
            delete_removes_the_object,
            deleting_a_missing_key_is_ok,
            list_pages_across_several_pages_each_key_exactly_once_in_order,
            list_returns_only_keys_under_the_prefix,
            delete_prefix_leaves_nothing_behind,
            delete_prefix_spares_siblings_sharing_a_string_prefix,
            presigned_put_stores_the_exact_bytes,
            presigned_put_with_a_byte_more_or_less_is_refused,
            presigned_put_with_another_content_type_is_refused,
            presigned_put_with_a_wrong_checksum_is_refused_as_bad_digest,
            expired_presigned_requests_are_refused,
            presigned_put_used_for_another_key_is_refused,
            presigned_get_returns_the_bytes_with_the_content_disposition,
            presigned_get_of_a_missing_key_is_not_found,
            multipart_upload_of_presigned_parts_assembles_them_in_order,
            multipart_upload_of_a_single_server_side_part_completes,
            presigned_part_of_another_length_is_refused,
            aborted_multipart_upload_is_gone,
            get_range_returns_the_window_and_stops_at_the_end,
            listed_parts_carry_the_etag_their_upload_returned,
        }
    };
    (@expand [names]; $($case:ident),+ $(,)?) => {
        &[$(stringify!($case)),+]
    };
    (@expand [tests $adapter:ident, $fixture:expr]; $($case:ident),+ $(,)?) => {
        mod $adapter {
            #[test]
            fn every_written_case_is_listed() {
                $crate::conformance::assert_every_case_listed(
                    "blobs",
                    $crate::blobs_conformance!(@names),
                );
            }

            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let fixture = $fixture.await;
                    $crate::conformance::blobs::$case(fixture.blobs()).await;
                }
            )+
        }
    };
}

const MIB: usize = 1024 * 1024;

fn constraints(content_type: &str, body: &[u8]) -> PutConstraints {
    PutConstraints {
        content_type: content_type.to_owned(),
        content_length: body.len() as u64,
        sha256: Sha256::digest(body).into(),
    }
}

fn expired() -> Presign {
    Presign {
        signed_at: Timestamp::now().plus_secs(-3600),
        expires_in_secs: 900,
    }
}

/// Sends a presigned request as a browser would: its method, URL and headers, except
/// `content-length`, which the HTTP client derives from the body (so a longer body means
/// a different length, exactly like a browser).
async fn send(request: &PresignedRequest, body: impl Into<Bytes>) -> reqwest::Response {
    send_with(request, body, &[]).await
}

/// Like [`send`], with some headers replaced.
async fn send_with(
    request: &PresignedRequest,
    body: impl Into<Bytes>,
    overrides: &[(&str, &str)],
) -> reqwest::Response {
    let method = reqwest::Method::from_bytes(request.method.as_bytes()).expect("HTTP method");
    let mut builder = reqwest::Client::new().request(method, &request.url);
    for (name, value) in &request.headers {
        if name.eq_ignore_ascii_case("content-length")
            || overrides.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            continue;
        }
        builder = builder.header(name.as_str(), value.as_str());
    }
    for (name, value) in overrides {
        builder = builder.header(*name, *value);
    }
    let body: Bytes = body.into();
    if request.method != "GET" {
        builder = builder.body(body);
    }
    builder.send().await.expect("HTTP request to storage")
}

/// Asserts a refusal's status and, when given, its S3 error code.
async fn assert_refused(response: reqwest::Response, status: u16, code: Option<&str>) {
    assert_eq!(response.status().as_u16(), status, "refusal status");
    let body = response.text().await.expect("error body");
    if let Some(code) = code {
        assert!(
            body.contains(&format!("<Code>{code}</Code>")),
            "expected S3 error code {code}, got {body}"
        );
    }
}

async fn assert_absent(blobs: &dyn Blobs, key: &str) {
    let err = blobs.head(key).await.expect_err("object must be absent");
    assert!(matches!(err, Error::NotFound { .. }), "{key}: {err:?}");
}

async fn put_text(blobs: &dyn Blobs, key: &str) {
    blobs
        .put(key, Bytes::from(key.to_owned()), "text/plain")
        .await
        .expect("put");
}

async fn all_keys(blobs: &dyn Blobs, prefix: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut page = PageRequest::first(100);
    loop {
        let listed = blobs.list(prefix, &page).await.expect("list");
        keys.extend(listed.items.into_iter().map(|o| o.key));
        match listed.next {
            Some(cursor) => page = PageRequest::after(100, cursor),
            None => return keys,
        }
    }
}

/// A round trip through the port keeps bytes and size.
pub async fn put_then_get_returns_the_bytes_and_head_the_size(blobs: &dyn Blobs) {
    let body = Bytes::from_static(b"\x00\x01binary\xffbody");
    blobs
        .put("events/e1/photo.jpg", body.clone(), "image/jpeg")
        .await
        .expect("put");
    assert_eq!(blobs.get("events/e1/photo.jpg").await.expect("get"), body);
    let info = blobs.head("events/e1/photo.jpg").await.expect("head");
    assert_eq!(info.key, "events/e1/photo.jpg");
    assert_eq!(info.bytes, body.len() as u64);
}

/// The second write wins, whole.
pub async fn put_over_an_existing_key_replaces_it(blobs: &dyn Blobs) {
    blobs
        .put("k/v", Bytes::from_static(b"first version"), "text/plain")
        .await
        .expect("put 1");
    let first = blobs.head("k/v").await.expect("head 1");
    blobs
        .put("k/v", Bytes::from_static(b"second"), "text/plain")
        .await
        .expect("put 2");
    assert_eq!(blobs.get("k/v").await.expect("get"), "second");
    let second = blobs.head("k/v").await.expect("head 2");
    assert_eq!(second.bytes, 6);
    if let (Some(a), Some(b)) = (first.etag, second.etag) {
        assert_ne!(a, b, "different bodies have different ETags");
    }
}

/// Missing objects are `NotFound`, not an empty body.
pub async fn get_and_head_of_a_missing_key_are_not_found(blobs: &dyn Blobs) {
    let err = blobs.get("missing/key").await.expect_err("get missing");
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert_absent(blobs, "missing/key").await;
}

/// After delete, the object is gone.
pub async fn delete_removes_the_object(blobs: &dyn Blobs) {
    put_text(blobs, "d/x").await;
    blobs.delete("d/x").await.expect("delete");
    assert_absent(blobs, "d/x").await;
    assert!(all_keys(blobs, "d/").await.is_empty());
}

/// Deleting twice (or never having written) is fine: deletes are idempotent.
pub async fn deleting_a_missing_key_is_ok(blobs: &dyn Blobs) {
    blobs.delete("never/written").await.expect("delete missing");
    put_text(blobs, "once").await;
    blobs.delete("once").await.expect("delete");
    blobs.delete("once").await.expect("delete again");
}

/// 25 keys at page size 10: three pages, every key exactly once, in key order.
pub async fn list_pages_across_several_pages_each_key_exactly_once_in_order(blobs: &dyn Blobs) {
    let mut expected: Vec<String> = (0..25).map(|i| format!("p/{i:02}")).collect();
    // Written out of order: listing order must come from the keys, not from write order.
    for key in expected.iter().rev() {
        put_text(blobs, key).await;
    }
    expected.sort();
    let mut seen = Vec::new();
    let mut page = PageRequest::first(10);
    let mut pages = 0;
    loop {
        let listed = blobs.list("p/", &page).await.expect("list");
        pages += 1;
        assert!(listed.items.len() <= 10, "page larger than the limit");
        for item in &listed.items {
            assert_eq!(item.bytes, item.key.len() as u64, "{}", item.key);
        }
        seen.extend(listed.items.into_iter().map(|o| o.key));
        match listed.next {
            Some(cursor) => page = PageRequest::after(10, cursor),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(seen, expected);
    assert!((3..=4).contains(&pages), "{pages} pages for 25 keys at 10");
}

/// A prefix lists its own keys and nothing of its neighbours.
pub async fn list_returns_only_keys_under_the_prefix(blobs: &dyn Blobs) {
    for key in ["a/1", "a/2", "a/sub/3", "ab/4", "b/5", "a.txt"] {
        put_text(blobs, key).await;
    }
    assert_eq!(all_keys(blobs, "a/").await, ["a/1", "a/2", "a/sub/3"]);
    assert_eq!(all_keys(blobs, "a/sub/").await, ["a/sub/3"]);
    assert_eq!(all_keys(blobs, "ab").await, ["ab/4"]);
    assert_eq!(all_keys(blobs, "a.").await, ["a.txt"]);
    assert!(all_keys(blobs, "c/").await.is_empty());
    assert_eq!(
        all_keys(blobs, "").await,
        ["a.txt", "a/1", "a/2", "a/sub/3", "ab/4", "b/5"]
    );
}

/// Everything under the prefix goes: list and head both confirm.
pub async fn delete_prefix_leaves_nothing_behind(blobs: &dyn Blobs) {
    let keys: Vec<String> = (0..12)
        .map(|i| format!("events/e1/{}/{i}", if i % 2 == 0 { "thumb" } else { "web" }))
        .collect();
    for key in &keys {
        put_text(blobs, key).await;
    }
    let deleted = blobs
        .delete_prefix("events/e1/")
        .await
        .expect("delete_prefix");
    assert_eq!(deleted, 12);
    assert!(all_keys(blobs, "events/e1/").await.is_empty());
    for key in &keys {
        assert_absent(blobs, key).await;
    }
    assert_eq!(
        blobs.delete_prefix("events/e1/").await.expect("again"),
        0,
        "nothing left to delete"
    );
}

/// `a/b/` is not `a/bc`: a prefix is a string prefix, and the caller's slash matters.
pub async fn delete_prefix_spares_siblings_sharing_a_string_prefix(blobs: &dyn Blobs) {
    for key in ["a/b/1", "a/b/2", "a/b.txt", "a/bc", "a/bd/3"] {
        put_text(blobs, key).await;
    }
    assert_eq!(blobs.delete_prefix("a/b/").await.expect("delete_prefix"), 2);
    assert_eq!(all_keys(blobs, "a/").await, ["a/b.txt", "a/bc", "a/bd/3"]);
    for key in ["a/b.txt", "a/bc", "a/bd/3"] {
        assert_eq!(blobs.get(key).await.expect("sibling kept"), key);
    }
}

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

/// A bounded read says `TooLarge` for an object over its bound (checked from the size, before
/// the body is read) and returns the exact bytes at the bound.
pub async fn bounded_get_refuses_an_object_over_its_bound(blobs: &dyn Blobs) {
    let body: Vec<u8> = (0..70_000u32).map(|i| (i % 241) as u8).collect();
    blobs
        .put(
            "originals/o/e/bounded",
            Bytes::from(body.clone()),
            "image/jpeg",
        )
        .await
        .expect("put");
    let err = blobs
        .get_bounded("originals/o/e/bounded", body.len() as u64 - 1)
        .await
        .expect_err("over the bound");
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    let read = blobs
        .get_bounded("originals/o/e/bounded", body.len() as u64)
        .await
        .expect("at the bound");
    assert!(read == body, "the bytes read differ from the object");
    let err = blobs
        .get_bounded("originals/o/e/missing", 10)
        .await
        .expect_err("missing");
    assert!(err.is_not_found(), "{err:?}");
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

fn etag_header(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("part PUT returns an ETag")
        .to_owned()
}

/// Create, presign two parts (the first at S3's 5 MiB minimum), upload them over HTTP,
/// list them, complete with the ETags the PUTs returned: the object is the concatenation.
pub async fn multipart_upload_of_presigned_parts_assembles_them_in_order(blobs: &dyn Blobs) {
    let key = "archives/e1/a1.zip";
    let upload = blobs
        .create_multipart(key, "application/zip")
        .await
        .expect("create");
    let first: Vec<u8> = (0..5 * MIB).map(|i| (i % 251) as u8).collect();
    let second = b"the last part may be small".to_vec();

    // Uploaded out of order, as parallel browsers would.
    let mut etags = Vec::new();
    for (number, body) in [(2u32, &second), (1, &first)] {
        let request = blobs
            .presign_part(key, &upload, number, body.len() as u64, Presign::now(300))
            .expect("presign part");
        let response = send(&request, body.clone()).await;
        assert_eq!(response.status().as_u16(), 200, "part {number}");
        etags.push((number, etag_header(&response)));
    }
    etags.sort();

    let parts = blobs.list_parts(key, &upload).await.expect("list parts");
    let numbers: Vec<(u32, u64)> = parts.iter().map(|p| (p.part_number, p.bytes)).collect();
    assert_eq!(numbers, [(1, first.len() as u64), (2, second.len() as u64)]);
    for (part, (_, etag)) in parts.iter().zip(&etags) {
        if let Some(listed) = &part.etag {
            assert_eq!(listed.trim_matches('"'), etag.trim_matches('"'));
        }
    }

    let completed: Vec<CompletedPart> = etags
        .into_iter()
        .map(|(part_number, etag)| CompletedPart { part_number, etag })
        .collect();
    blobs
        .complete_multipart(key, &upload, &completed)
        .await
        .expect("complete");
    let mut expected = first;
    expected.extend_from_slice(&second);
    let info = blobs.head(key).await.expect("head");
    assert_eq!(info.bytes, expected.len() as u64);
    assert!(
        blobs.get(key).await.expect("get") == expected,
        "object differs from the parts"
    );
}

/// A part URL binds the part's exact length (the server knows the file's size and its part
/// size): a byte more or less is refused and stores nothing; the exact length is taken.
pub async fn presigned_part_of_another_length_is_refused(blobs: &dyn Blobs) {
    let key = "originals/o/e/part-length";
    let upload = blobs
        .create_multipart(key, "image/jpeg")
        .await
        .expect("create");
    // Small enough for the whole request to be written before the store answers: a store
    // may refuse on the headers and close without reading a large body (S3 does), which
    // the client would see as a broken pipe instead of the refusal.
    let body: Vec<u8> = (0..64 * 1024).map(|i| (i % 253) as u8).collect();
    let request = blobs
        .presign_part(key, &upload, 1, body.len() as u64, Presign::now(300))
        .expect("presign part");
    assert!(
        request
            .headers
            .iter()
            .any(|(n, v)| n == "content-length" && *v == body.len().to_string()),
        "the length is a header the client must send: {:?}",
        request.headers
    );
    let mut longer = body.clone();
    longer.extend_from_slice(&[0; 1024]);
    assert_refused(
        send(&request, longer).await,
        403,
        Some("SignatureDoesNotMatch"),
    )
    .await;
    let shorter = body.get(..body.len() - 1).expect("non-empty").to_vec();
    assert_refused(send(&request, shorter).await, 403, None).await;
    assert!(
        blobs
            .list_parts(key, &upload)
            .await
            .expect("list")
            .is_empty(),
        "a refused part stores nothing"
    );
    let response = send(&request, body).await;
    assert_eq!(response.status().as_u16(), 200, "the exact length is taken");
    blobs.abort_multipart(key, &upload).await.expect("abort");
}

/// The server-side path (archives): one small part is a valid whole upload.
pub async fn multipart_upload_of_a_single_server_side_part_completes(blobs: &dyn Blobs) {
    let key = "archives/e1/small.zip";
    let upload = blobs
        .create_multipart(key, "application/zip")
        .await
        .expect("create");
    let etag = blobs
        .upload_part(key, &upload, 1, Bytes::from_static(b"tiny archive"))
        .await
        .expect("upload part");
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
    assert_eq!(blobs.get(key).await.expect("get"), "tiny archive");
}

/// After abort the upload and its parts are gone and no object appeared.
pub async fn aborted_multipart_upload_is_gone(blobs: &dyn Blobs) {
    let key = "archives/e1/aborted.zip";
    let upload = blobs
        .create_multipart(key, "application/zip")
        .await
        .expect("create");
    blobs
        .upload_part(key, &upload, 1, Bytes::from_static(b"partial"))
        .await
        .expect("upload part");
    blobs.abort_multipart(key, &upload).await.expect("abort");
    match blobs.list_parts(key, &upload).await {
        // S3 answers NoSuchUpload; s3s-fs lists no parts (documented deviation).
        Err(Error::NotFound { .. }) => {}
        Ok(parts) => assert!(parts.is_empty(), "parts survived abort: {parts:?}"),
        Err(other) => panic!("unexpected error after abort: {other:?}"),
    }
    assert_absent(blobs, key).await;
    blobs
        .abort_multipart(key, &upload)
        .await
        .expect("aborting twice is fine");
}

/// Ranged reads (archives stream originals a window at a time): the window's bytes, fewer
/// where the object ends, none past it, `NotFound` for a missing key.
pub async fn get_range_returns_the_window_and_stops_at_the_end(blobs: &dyn Blobs) {
    let body: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let key = "originals/o/e/range";
    blobs
        .put(key, Bytes::from(body.clone()), "application/octet-stream")
        .await
        .expect("put");
    let read = |offset: u64, len: u64| async move {
        blobs.get_range(key, offset, len).await.expect("get_range")
    };
    assert_eq!(read(0, 10).await, body[..10]);
    assert_eq!(read(123, 456).await, body[123..579]);
    assert_eq!(read(990, 100).await, body[990..], "cut at the end");
    assert_eq!(
        read(0, u64::MAX).await,
        body,
        "a huge window is only the object"
    );
    assert!(read(1000, 5).await.is_empty(), "starting at the end");
    assert!(read(5000, 5).await.is_empty(), "starting past the end");
    assert!(read(10, 0).await.is_empty(), "an empty window");
    let err = blobs
        .get_range("originals/o/e/missing", 0, 10)
        .await
        .expect_err("missing key");
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

/// What an archive job completes its upload with after a restart: the parts it stored, each
/// with the ETag `upload_part` returned.
pub async fn listed_parts_carry_the_etag_their_upload_returned(blobs: &dyn Blobs) {
    let key = "archives/e1/listed.zip";
    let upload = blobs
        .create_multipart(key, "application/zip")
        .await
        .expect("create");
    let first = vec![1u8; 5 * MIB];
    let etags = [
        blobs
            .upload_part(key, &upload, 1, Bytes::from(first.clone()))
            .await
            .expect("part 1"),
        blobs
            .upload_part(key, &upload, 2, Bytes::from_static(b"last part"))
            .await
            .expect("part 2"),
    ];
    let listed = blobs.list_parts(key, &upload).await.expect("list parts");
    let unquoted = |etag: &str| etag.trim_matches('"').to_owned();
    let summary: Vec<(u32, Option<String>, u64)> = listed
        .iter()
        .map(|p| (p.part_number, p.etag.as_deref().map(unquoted), p.bytes))
        .collect();
    assert_eq!(
        summary,
        [
            (1, Some(unquoted(&etags[0])), 5 * MIB as u64),
            (2, Some(unquoted(&etags[1])), 9)
        ]
    );
    let parts: Vec<CompletedPart> = listed
        .into_iter()
        .map(|p| CompletedPart {
            part_number: p.part_number,
            etag: p.etag.unwrap_or_default(),
        })
        .collect();
    blobs
        .complete_multipart(key, &upload, &parts)
        .await
        .expect("complete with the listed ETags");
    let mut expected = first;
    expected.extend_from_slice(b"last part");
    assert!(blobs.get(key).await.expect("get") == expected);
}
