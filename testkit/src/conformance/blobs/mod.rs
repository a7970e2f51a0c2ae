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

pub mod multipart;
pub mod objects;
pub mod presigned;

use bytes::Bytes;
use sha2::{Digest, Sha256};
use shared::Error;
use shared::domain::{PageRequest, Timestamp};
use shared::ports::{Blobs, Presign, PresignedRequest, PutConstraints};

/// Every case, in one list: the macro instantiates exactly these.
/// `blobs_conformance!(fs, testkit::fixtures::fs_blobs());` makes a module `fs` with a module
/// per file of cases and one `#[tokio::test]` per case, each on a fresh fixture
/// (`fs::multipart::aborted_multipart_upload_is_gone`), plus `fs::every_written_case_is_listed`;
/// `blobs_conformance!(@names)` is the list as names.
#[macro_export]
macro_rules! blobs_conformance {
    ($adapter:ident, $fixture:expr) => {
        $crate::blobs_conformance!(@list [tests $adapter, $fixture]);
    };
    (@names) => {
        $crate::blobs_conformance!(@list [names])
    };
    // The one list of cases, by the file that holds them.
    (@list $how:tt) => {
        $crate::blobs_conformance! { @expand $how;
            objects {
                put_then_get_returns_the_bytes_and_head_the_size,
                put_over_an_existing_key_replaces_it,
                get_and_head_of_a_missing_key_are_not_found,
                delete_removes_the_object,
                deleting_a_missing_key_is_ok,
                list_pages_across_several_pages_each_key_exactly_once_in_order,
                list_returns_only_keys_under_the_prefix,
                delete_prefix_leaves_nothing_behind,
                delete_prefix_spares_siblings_sharing_a_string_prefix,
                bounded_get_refuses_an_object_over_its_bound,
                get_range_returns_the_window_and_stops_at_the_end,
            }
            presigned {
                presigned_put_stores_the_exact_bytes,
                presigned_put_with_a_byte_more_or_less_is_refused,
                presigned_put_with_another_content_type_is_refused,
                presigned_put_with_a_wrong_checksum_is_refused_as_bad_digest,
                expired_presigned_requests_are_refused,
                presigned_put_used_for_another_key_is_refused,
                presigned_get_returns_the_bytes_with_the_content_disposition,
                presigned_get_of_a_missing_key_is_not_found,
                presigned_get_with_a_range_returns_that_window,
            }
            multipart {
                multipart_upload_of_presigned_parts_assembles_them_in_order,
                presigned_part_of_another_length_is_refused,
                multipart_upload_of_a_single_server_side_part_completes,
                aborted_multipart_upload_is_gone,
                listed_parts_carry_the_etag_their_upload_returned,
                completed_upload_reads_across_part_boundaries,
            }
        }
    };
    (@expand [names]; $($file:ident { $($case:ident),* $(,)? })*) => {
        &[$($(concat!(stringify!($file), "::", stringify!($case)),)*)*]
    };
    (@expand [tests $adapter:ident, $fixture:expr]; $($file:ident { $($case:ident),* $(,)? })*) => {
        mod $adapter {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn every_written_case_is_listed() {
                $crate::conformance::assert_every_case_listed(
                    "blobs",
                    $crate::blobs_conformance!(@names),
                );
            }

            $(
                mod $file {
                    #[allow(unused_imports)]
                    use super::*;
                    $(
                        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                        async fn $case() {
                            let fixture = $fixture.await;
                            $crate::conformance::blobs::$file::$case(fixture.blobs()).await;
                        }
                    )*
                }
            )*
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
