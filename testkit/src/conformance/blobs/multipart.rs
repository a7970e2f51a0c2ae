//! Multipart uploads: presigned and server-side parts, their lengths, listing, completion
//! and abort.

use bytes::Bytes;
use shared::Error;
use shared::ports::{Blobs, CompletedPart, Presign};

use super::*;

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

/// A completed upload reads as one object across its parts' boundaries: by `get_range`,
/// and by presigned GET whole and with a `Range` that spans two parts.
pub async fn completed_upload_reads_across_part_boundaries(blobs: &dyn Blobs) {
    let key = "archives/e1/spanning.zip";
    let upload = blobs
        .create_multipart(key, "application/zip")
        .await
        .expect("create");
    let first: Vec<u8> = (0..5 * MIB).map(|i| (i % 251) as u8).collect();
    let second: Vec<u8> = (0..1000u32).map(|i| (i % 7) as u8 + 100).collect();
    let mut parts = Vec::new();
    for (part_number, body) in [(1u32, &first), (2, &second)] {
        let etag = blobs
            .upload_part(key, &upload, part_number, Bytes::from(body.clone()))
            .await
            .expect("upload part");
        parts.push(CompletedPart { part_number, etag });
    }
    blobs
        .complete_multipart(key, &upload, &parts)
        .await
        .expect("complete");
    let whole = [first, second].concat();
    let boundary = 5 * MIB;

    let read = blobs
        .get_range(key, (boundary - 10) as u64, 30)
        .await
        .expect("get_range");
    assert_eq!(
        read,
        whole.get(boundary - 10..boundary + 20).expect("window")
    );

    let request = blobs
        .presign_get(key, None, Presign::now(300))
        .expect("presign");
    let response = send(&request, Bytes::new()).await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.bytes().await.expect("body") == whole,
        "whole object differs"
    );

    let range = format!("bytes={}-{}", boundary - 3, boundary + 4);
    let response = send_with(&request, Bytes::new(), &[("range", range.as_str())]).await;
    assert_eq!(response.status().as_u16(), 206);
    let window = whole.get(boundary - 3..=boundary + 4).expect("window");
    assert_eq!(response.bytes().await.expect("body"), window);
}
