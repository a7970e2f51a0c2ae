//! The `presign` function's multipart routes: parts signed with their length, listed,
//! completed in order or refused, and an abandoned upload aborted (FsBlobs and s3s-fs).

mod support;

use serde_json::{Value, json};
use shared::domain::PhotoId;
use shared::services::ApiLimits;
use testkit::api::{ApiHarness, Photographer, Storage};
use testkit::api_flows::{assert_error, create_event, file_entry, request_uploads};

use support::{MIB, photo_count, pre};

/// GIVEN a file above the single-PUT limit WHEN it is uploaded in parts through signed part
/// URLs THEN listing shows the parts and completing stores the whole file.
async fn multipart_upload_round_trip(storage: Storage) {
    let limits = ApiLimits {
        single_put_max_bytes: MIB,
        part_bytes: 5 * MIB,
        ..ApiLimits::default()
    };
    let h = ApiHarness::start_with(storage, limits).await;
    let anna = Photographer::new("anna");
    let event_id = create_event(&h, &anna, "Parts").await;
    let size = usize::try_from(5 * MIB).expect("fits") + 1234;
    let bytes: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let (status, body) = request_uploads(
        &h,
        &anna,
        &event_id,
        vec![
            file_entry("big.jpg", "image/jpeg", &bytes),
            file_entry("big2.jpg", "image/jpeg", &bytes[1..]),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let ticket = &body["tickets"][0];
    assert_eq!(ticket["kind"], "multipart", "{ticket}");
    assert_eq!(ticket["part_count"], 2);
    let photo_id = ticket["photo_id"].as_str().expect("photo_id").to_owned();
    let parts_req = || {
        pre("sign_parts")
            .as_user(&anna)
            .ids(Some(&event_id), Some(&photo_id))
    };

    let (status, body) = h.send(parts_req().json(json!({"part_numbers": [3]}))).await;
    assert_error(status, &body, 422, "invalid_part_number");
    let (status, body) = h.send(parts_req().json(json!({"part_numbers": []}))).await;
    assert_error(status, &body, 422, "invalid_part_numbers");
    let (status, signed) = h
        .send(parts_req().json(json!({"part_numbers": [1, 2]})))
        .await;
    assert_eq!(status, 200, "{signed}");

    let client = reqwest::Client::new();
    let chunks = [
        &bytes[..usize::try_from(5 * MIB).expect("fits")],
        &bytes[usize::try_from(5 * MIB).expect("fits")..],
    ];
    let mut etags = Vec::new();
    for (part, chunk) in signed["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .zip(chunks)
    {
        // Each part URL binds that part's exact length: the last one is the rest.
        assert_eq!(
            part["headers"]["content-length"],
            chunk.len().to_string(),
            "{part}"
        );
        let send = |body: Vec<u8>| {
            let mut req = client.put(part["url"].as_str().expect("url"));
            for (name, value) in part["headers"].as_object().into_iter().flatten() {
                if !name.eq_ignore_ascii_case("content-length") {
                    req = req.header(name, value.as_str().expect("value"));
                }
            }
            req.body(body).send()
        };
        let mut longer = chunk.to_vec();
        longer.extend_from_slice(b"more");
        // Refused on its signed length: a 403, or — when the store answers before reading
        // the whole body, as S3 may — a connection closed under the client. Either way
        // nothing is stored (the listing below has exactly the right parts).
        match send(longer).await {
            Ok(refused) => assert_eq!(refused.status().as_u16(), 403, "a part of another length"),
            Err(e) => assert!(e.is_request(), "{e}"),
        }
        let resp = send(chunk.to_vec()).await.expect("part PUT");
        assert_eq!(resp.status().as_u16(), 200, "part {}", part["part_number"]);
        let etag = resp
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("\"no-etag\"")
            .to_owned();
        etags.push(etag);
    }

    let (status, listed) = h
        .send(
            pre("list_parts")
                .as_user(&anna)
                .ids(Some(&event_id), Some(&photo_id)),
        )
        .await;
    assert_eq!(status, 200, "{listed}");
    let listed_parts = listed["parts"].as_array().expect("parts");
    assert_eq!(listed_parts.len(), 2);
    assert_eq!(listed_parts[0]["part_number"], 1);
    assert_eq!(listed_parts[0]["bytes"], 5 * MIB);

    let complete = |parts: Value| {
        pre("complete")
            .as_user(&anna)
            .ids(Some(&event_id), Some(&photo_id))
            .json(json!({ "parts": parts }))
    };
    let (status, body) = h
        .send(complete(json!([{"part_number": 1, "etag": etags[0]}])))
        .await;
    assert_error(status, &body, 422, "invalid_parts");
    let (status, body) = h
        .send(complete(json!([
            {"part_number": 2, "etag": etags[1]},
            {"part_number": 1, "etag": etags[0]}
        ])))
        .await;
    assert_error(status, &body, 422, "invalid_parts");
    let (status, body) = h
        .send(complete(json!([
            {"part_number": 1, "etag": etags[0]},
            {"part_number": 2, "etag": etags[1]}
        ])))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "pending");
    let key = format!("originals/{}/{event_id}/{photo_id}", anna.sub);
    assert_eq!(h.deps.blobs.get(&key).await.expect("assembled"), bytes);

    // The second upload is abandoned: its row goes and the count gives it back.
    let second = body_photo(&h, &anna, &event_id, &bytes[1..]).await;
    let (status, _) = h
        .send(
            pre("abort")
                .as_user(&anna)
                .ids(Some(&event_id), Some(&second)),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(photo_count(&h, &event_id).await, 1);
    let (status, _) = h
        .send(
            pre("list_parts")
                .as_user(&anna)
                .ids(Some(&event_id), Some(&second)),
        )
        .await;
    assert_eq!(status, 404);
}

/// The photo id of the pending photo registered for `bytes` in `event_id` (its bytes never
/// arrived, so asking again re-issues a ticket for the same photo, not a duplicate).
async fn body_photo(h: &ApiHarness, who: &Photographer, event_id: &str, bytes: &[u8]) -> String {
    let (_, body) = request_uploads(
        h,
        who,
        event_id,
        vec![file_entry("x.jpg", "image/jpeg", bytes)],
    )
    .await;
    assert_eq!(body["tickets"][0]["kind"], "multipart", "{body}");
    body["tickets"][0]["photo_id"]
        .as_str()
        .expect("id")
        .to_owned()
}

#[tokio::test]
async fn multipart_upload_round_trip_on_fs_blobs() {
    multipart_upload_round_trip(Storage::Fs).await;
}

#[tokio::test]
async fn multipart_upload_round_trip_on_s3_blobs() {
    multipart_upload_round_trip(Storage::S3).await;
}

#[tokio::test]
async fn multipart_routes_refuse_single_put_photos() {
    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let event_id = create_event(&h, &anna, "Single").await;
    let (_, body) = request_uploads(
        &h,
        &anna,
        &event_id,
        vec![file_entry("a.jpg", "image/jpeg", b"a")],
    )
    .await;
    let photo_id = body["tickets"][0]["photo_id"]
        .as_str()
        .expect("id")
        .to_owned();
    for name in ["sign_parts", "list_parts", "complete", "abort"] {
        let (status, body) = h
            .send(
                pre(name)
                    .as_user(&anna)
                    .ids(Some(&event_id), Some(&photo_id)),
            )
            .await;
        assert_error(status, &body, 409, "not_multipart");
    }
    let unknown = PhotoId::generate().to_string();
    let (status, _) = h
        .send(
            pre("list_parts")
                .as_user(&anna)
                .ids(Some(&event_id), Some(&unknown)),
        )
        .await;
    assert_eq!(status, 404);
}
