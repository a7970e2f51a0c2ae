//! The `presign` function's routes, driven by its sample API Gateway events: tickets are
//! checked by actually uploading through them, to FsBlobs' verifier and to s3s-fs.

use std::time::Duration;

use serde_json::{Value, json};
use shared::domain::{EventId, PageRequest, PhotoId, PhotoStatus};
use shared::services::ApiLimits;
use testkit::api::{ApiHarness, ApiRequest, Function, Photographer, Storage};
use testkit::api_flows::{
    assert_error, create_event, file_entry, put_with_ticket, put_with_ticket_headers,
    request_uploads,
};

mod support;
use support::{MIB, photo_count, pre};

/// GIVEN a single-PUT ticket WHEN the exact file is sent THEN storage takes it; a byte
/// more, another type or another body (checksum) is refused.
async fn ticket_is_usable_and_binding(storage: Storage) {
    let h = ApiHarness::start_with(storage, ApiLimits::default()).await;
    let anna = Photographer::new("anna");
    let event_id = create_event(&h, &anna, "Tickets").await;
    let bytes = b"\xff\xd8\xff\xe0 a tiny jpeg-ish body".to_vec();
    let (status, body) = request_uploads(
        &h,
        &anna,
        &event_id,
        vec![file_entry("IMG_1.JPG", "image/jpeg", &bytes)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let ticket = &body["tickets"][0];
    assert_eq!(ticket["kind"], "single");
    assert_eq!(ticket["method"], "PUT");
    assert!(
        ticket["url"]
            .as_str()
            .expect("url")
            .starts_with("http://127.0.0.1:")
    );
    assert!(ticket["headers"]["x-amz-checksum-sha256"].is_string() || storage == Storage::Fs);

    let mut longer = bytes.clone();
    longer.push(b'!');
    assert_ne!(put_with_ticket(ticket, longer).await, 200, "a byte more");
    assert_ne!(
        put_with_ticket_headers(ticket, bytes.clone(), &[("content-type", "image/png")]).await,
        200,
        "another type"
    );
    let mut other = bytes.clone();
    other[5] ^= 1;
    assert_ne!(
        put_with_ticket(ticket, other).await,
        200,
        "another checksum"
    );
    assert_eq!(
        put_with_ticket(ticket, bytes.clone()).await,
        200,
        "the exact file"
    );

    let photo_id = ticket["photo_id"].as_str().expect("photo_id");
    let key = format!("originals/{}/{event_id}/{photo_id}", anna.sub);
    assert_eq!(
        h.deps.blobs.get(&key).await.expect("stored"),
        bytes,
        "storage holds exactly the file"
    );
    let photo = h
        .deps
        .catalog
        .get_photo(
            EventId::parse(&event_id).expect("id"),
            PhotoId::parse(photo_id).expect("id"),
        )
        .await
        .expect("registered");
    assert_eq!(photo.status, PhotoStatus::Pending);
    assert_eq!(photo.filename, "IMG_1.JPG");
}

#[tokio::test]
async fn ticket_is_usable_and_binding_on_fs_blobs() {
    ticket_is_usable_and_binding(Storage::Fs).await;
}

#[tokio::test]
async fn ticket_is_usable_and_binding_on_s3_blobs() {
    ticket_is_usable_and_binding(Storage::S3).await;
}

#[tokio::test]
async fn tickets_expire_after_the_configured_lifetime() {
    let limits = ApiLimits {
        upload_url_secs: 1,
        ..ApiLimits::default()
    };
    let h = ApiHarness::with_limits(limits).await;
    let anna = Photographer::new("anna");
    let event_id = create_event(&h, &anna, "Expiry").await;
    let bytes = b"expiring".to_vec();
    let (_, body) = request_uploads(
        &h,
        &anna,
        &event_id,
        vec![file_entry("a.jpg", "image/jpeg", &bytes)],
    )
    .await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(put_with_ticket(&body["tickets"][0], bytes).await, 403);
}

#[tokio::test]
async fn the_sample_request_gets_a_single_and_a_multipart_ticket_in_order() {
    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let event_id = create_event(&h, &anna, "Sample").await;
    let (status, body) = h
        .send(
            pre("create_uploads")
                .as_user(&anna)
                .ids(Some(&event_id), None),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let tickets = body["tickets"].as_array().expect("tickets");
    assert_eq!(tickets.len(), 2);
    assert_eq!(tickets[0]["kind"], "single");
    assert_eq!(tickets[1]["kind"], "multipart");
    assert_eq!(tickets[1]["part_bytes"], 8 * MIB);
    assert_eq!(tickets[1]["part_count"], 6);
    assert!(tickets[1]["upload_id"].is_string());
    assert_eq!(photo_count(&h, &event_id).await, 2);
}

#[tokio::test]
async fn duplicates_within_the_call_and_against_the_event_name_the_existing_photo() {
    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let event_id = create_event(&h, &anna, "Dupes").await;
    let (a, b) = (b"first".to_vec(), b"second".to_vec());
    let (status, first) = request_uploads(
        &h,
        &anna,
        &event_id,
        vec![
            file_entry("a.jpg", "image/jpeg", &a),
            file_entry("a-copy.jpg", "image/jpeg", &a),
        ],
    )
    .await;
    assert_eq!(status, 200, "{first}");
    let t = first["tickets"].as_array().expect("tickets");
    assert_eq!(t[0]["kind"], "single");
    assert_eq!(
        t[1],
        json!({"kind": "duplicate", "photo_id": t[0]["photo_id"]})
    );
    assert_eq!(
        put_with_ticket(&t[0], a.clone()).await,
        200,
        "the bytes arrive"
    );

    let (status, second) = request_uploads(
        &h,
        &anna,
        &event_id,
        vec![
            file_entry("b.jpg", "image/jpeg", &b),
            file_entry("again.jpg", "image/jpeg", &a),
        ],
    )
    .await;
    assert_eq!(status, 200, "{second}");
    let t2 = second["tickets"].as_array().expect("tickets");
    assert_eq!(t2[0]["kind"], "single");
    assert_eq!(t2[1]["kind"], "duplicate");
    assert_eq!(t2[1]["photo_id"], t[0]["photo_id"]);
    // Two photos, no second copy.
    assert_eq!(photo_count(&h, &event_id).await, 2);

    // The same content in another event is not a duplicate.
    let other = create_event(&h, &anna, "Other").await;
    let (_, third) = request_uploads(
        &h,
        &anna,
        &other,
        vec![file_entry("a.jpg", "image/jpeg", &a)],
    )
    .await;
    assert_eq!(third["tickets"][0]["kind"], "single");
}

/// GIVEN photos whose bytes never arrived (a lapsed ticket) or that failed (a checksum
/// mismatch) WHEN the same bytes are uploaded again THEN the same photo gets a fresh ticket
/// (no new photo, the count unchanged), and the bytes can be stored; only a photo whose
/// bytes are in storage, or processed, makes a `duplicate`.
#[tokio::test]
async fn lapsed_and_failed_photos_take_the_same_bytes_again_instead_of_blocking_them() {
    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let event_id = create_event(&h, &anna, "Second chances").await;
    let (lapsed, failed) = (b"never sent".to_vec(), b"sent wrong".to_vec());
    let (status, first) = request_uploads(
        &h,
        &anna,
        &event_id,
        vec![
            file_entry("lapsed.jpg", "image/jpeg", &lapsed),
            file_entry("failed.jpg", "image/jpeg", &failed),
        ],
    )
    .await;
    assert_eq!(status, 200, "{first}");
    let lapsed_id = first["tickets"][0]["photo_id"].clone();
    let failed_id = first["tickets"][1]["photo_id"].clone();
    // The processor found other bytes than declared for the second one.
    let event = EventId::parse(&event_id).expect("id");
    let mut photo = h
        .deps
        .catalog
        .get_photo(
            event,
            PhotoId::parse(failed_id.as_str().expect("id")).expect("id"),
        )
        .await
        .expect("photo");
    photo.status = PhotoStatus::Failed;
    photo.attempts = 1;
    photo.failure = Some(shared::domain::PhotoFailure {
        code: "checksum_mismatch".to_owned(),
        message: "other bytes".to_owned(),
    });
    h.deps.catalog.update_photo(&photo).await.expect("failed");

    let (status, again) = request_uploads(
        &h,
        &anna,
        &event_id,
        vec![
            file_entry("lapsed.jpg", "image/jpeg", &lapsed),
            file_entry("failed-again.jpg", "image/jpeg", &failed),
        ],
    )
    .await;
    assert_eq!(status, 200, "{again}");
    let t = again["tickets"].as_array().expect("tickets");
    assert_eq!(t[0]["kind"], "single", "{again}");
    assert_eq!(t[0]["photo_id"], lapsed_id);
    assert_eq!(t[1]["kind"], "single", "{again}");
    assert_eq!(t[1]["photo_id"], failed_id);
    assert_eq!(photo_count(&h, &event_id).await, 2, "no new photos");
    let replaced = h
        .deps
        .catalog
        .get_photo(event, photo.photo_id)
        .await
        .expect("photo");
    assert_eq!(replaced.status, PhotoStatus::Pending);
    assert_eq!(replaced.failure, None);
    assert_eq!(replaced.attempts, 0);
    assert_eq!(replaced.filename, "failed-again.jpg");
    assert_eq!(put_with_ticket(&t[0], lapsed.clone()).await, 200);
    assert_eq!(put_with_ticket(&t[1], failed.clone()).await, 200);

    // Now both sets of bytes are in storage: duplicates.
    let (_, third) = request_uploads(
        &h,
        &anna,
        &event_id,
        vec![
            file_entry("lapsed.jpg", "image/jpeg", &lapsed),
            file_entry("failed.jpg", "image/jpeg", &failed),
        ],
    )
    .await;
    assert_eq!(
        third["tickets"][0],
        json!({"kind": "duplicate", "photo_id": lapsed_id})
    );
    assert_eq!(
        third["tickets"][1],
        json!({"kind": "duplicate", "photo_id": failed_id})
    );
}

#[tokio::test]
async fn an_invalid_file_fails_the_whole_call_naming_its_index() {
    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let event_id = create_event(&h, &anna, "Atomic").await;
    let good = file_entry("ok.jpg", "image/jpeg", b"ok");
    let sha = hex::encode([1u8; 32]);
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"name": "x.gif", "content_type": "image/gif", "bytes": 10, "sha256": sha}),
            415,
            "unsupported_type",
        ),
        (
            json!({"name": "x.jpg", "content_type": "image/jpeg", "bytes": 2 * 1024 * MIB, "sha256": sha}),
            413,
            "file_too_large",
        ),
        // One byte over the largest original the pipeline processes: refused before signing.
        (
            json!({"name": "x.jpg", "content_type": "image/jpeg", "bytes": 200 * MIB + 1, "sha256": sha}),
            413,
            "file_too_large",
        ),
        (
            json!({"name": "x.jpg", "content_type": "image/jpeg", "bytes": 0, "sha256": sha}),
            422,
            "empty_file",
        ),
        (
            json!({"name": "x.jpg", "content_type": "image/jpeg", "bytes": 10, "sha256": "ABC"}),
            422,
            "invalid_sha256",
        ),
        (
            json!({"name": "../x.jpg", "content_type": "image/jpeg", "bytes": 10, "sha256": sha}),
            422,
            "invalid_file_name",
        ),
        (
            json!({"name": "x.jpg", "content_type": "image/jpeg", "bytes": -1, "sha256": sha}),
            422,
            "invalid_body",
        ),
    ];
    for (bad, want, code) in cases {
        let (status, body) =
            request_uploads(&h, &anna, &event_id, vec![good.clone(), bad.clone()]).await;
        assert_error(status, &body, want, code);
        if want != 422 || code != "invalid_body" {
            let message = body["error"]["message"].as_str().expect("message");
            assert!(message.starts_with("files[1]"), "{message}");
        }
    }
    assert_eq!(photo_count(&h, &event_id).await, 0, "nothing registered");
    let page = PageRequest::first(10);
    let listed = h
        .deps
        .catalog
        .list_photos(
            EventId::parse(&event_id).expect("id"),
            &Default::default(),
            &page,
        )
        .await
        .expect("list");
    assert!(listed.items.is_empty());
}

#[tokio::test]
async fn file_counts_are_1_to_500_per_call() {
    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let event_id = create_event(&h, &anna, "Counts").await;
    let (status, body) = request_uploads(&h, &anna, &event_id, vec![]).await;
    assert_error(status, &body, 422, "no_files");
    let files: Vec<Value> = (0..501u32)
        .map(|i| file_entry(&format!("{i}.jpg"), "image/jpeg", &i.to_be_bytes()))
        .collect();
    let (status, body) = request_uploads(&h, &anna, &event_id, files.clone()).await;
    assert_error(status, &body, 413, "too_many_files");
    let (status, body) = request_uploads(&h, &anna, &event_id, files[..500].to_vec()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tickets"].as_array().expect("tickets").len(), 500);
    assert_eq!(photo_count(&h, &event_id).await, 500);
}

#[tokio::test]
async fn the_event_photo_limit_is_enforced_atomically() {
    let limits = ApiLimits {
        max_photos_per_event: 3,
        ..ApiLimits::default()
    };
    let h = ApiHarness::with_limits(limits).await;
    let anna = Photographer::new("anna");
    let event_id = create_event(&h, &anna, "Limit").await;
    let files = |from: u32, n: u32| -> Vec<Value> {
        (from..from + n)
            .map(|i| file_entry(&format!("{i}.jpg"), "image/jpeg", &i.to_be_bytes()))
            .collect()
    };
    let (status, body) = request_uploads(&h, &anna, &event_id, files(0, 2)).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = request_uploads(&h, &anna, &event_id, files(2, 2)).await;
    assert_error(status, &body, 413, "event_photo_limit");
    assert_eq!(photo_count(&h, &event_id).await, 2);
    // Duplicates do not count.
    let mut again = files(0, 2);
    again.extend(files(2, 1));
    let (status, body) = request_uploads(&h, &anna, &event_id, again).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(photo_count(&h, &event_id).await, 3);
}

#[tokio::test]
async fn uploads_to_an_expired_unknown_or_malformed_event_are_refused() {
    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let event_id = create_event(&h, &anna, "Old").await;
    let (status, _) = h
        .send(
            ApiRequest::sample(Function::Events, "patch_event")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .json(json!({"expires_at": "2020-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(status, 200);
    let files = vec![file_entry("a.jpg", "image/jpeg", b"a")];
    let (status, body) = request_uploads(&h, &anna, &event_id, files.clone()).await;
    assert_eq!(status, 410, "{body}");
    let unknown = EventId::generate().to_string();
    let (status, body) = request_uploads(&h, &anna, &unknown, files.clone()).await;
    assert_error(status, &body, 404, "event_not_found");
    let (status, body) = request_uploads(&h, &anna, "nope", files).await;
    assert_error(status, &body, 400, "invalid_event");
    for (req, want, code) in [
        (pre("create_uploads").raw_body("{"), 400, "malformed_json"),
        (
            pre("create_uploads").json(json!({"files": "all"})),
            422,
            "invalid_body",
        ),
        (pre("create_uploads").anonymous(), 401, "unauthorized"),
    ] {
        let (status, body) = h
            .send(req.as_user_if_claims(&anna).ids(Some(&unknown), None))
            .await;
        assert_error(status, &body, want, code);
    }
}
