//! The `events` function's routes, driven by its sample API Gateway events, on SQLite +
//! FsBlobs + in-process queues.

use serde_json::{Value, json};
use shared::domain::{EventId, PhotoStatus};
use shared::ports::QueueConsumer;
use std::time::Duration;
use testkit::api::{ApiHarness, ApiRequest, Function, Photographer, SAMPLE_CODE, SAMPLE_JOB_ID};
use testkit::api_flows::{create_event, mark_photo, upload_photo};

fn ev(name: &str) -> ApiRequest {
    ApiRequest::sample(Function::Events, name)
}

fn assert_error(status: u16, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["error"]["code"], want_code, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
}

#[tokio::test]
async fn me_is_made_from_the_token_and_the_username_can_change() {
    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let (status, body) = h.send(ev("get_me").as_user(&anna)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["username"], "anna");
    assert_eq!(body["email"], "anna@example.com");
    assert_eq!(body["user_id"], anna.sub.as_str());

    let (status, body) = h.send(ev("put_me").as_user(&anna)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["username"], "anna-photo");

    // GIVEN another photographer WHEN they take anna's name THEN 409.
    let ben = Photographer::new("ben");
    let (status, body) = h.send(ev("put_me").as_user(&ben)).await;
    assert_error(status, &body, 409, "username_taken");
    // A token whose username is taken still gets a profile, with a derived name.
    let anna2 = Photographer::new("anna-photo");
    let (status, body) = h.send(ev("get_me").as_user(&anna2)).await;
    assert_eq!(status, 200, "{body}");
    assert_ne!(body["username"], "anna-photo");

    for (bad, code) in [("a", "invalid_username"), ("admin", "reserved_username")] {
        let (status, body) = h
            .send(ev("put_me").as_user(&anna).json(json!({"username": bad})))
            .await;
        assert_error(status, &body, 422, code);
    }
    let (status, body) = h.send(ev("put_me").as_user(&anna).no_body()).await;
    assert_error(status, &body, 400, "malformed_json");
}

#[tokio::test]
async fn every_route_refuses_a_request_without_claims() {
    let h = ApiHarness::start().await;
    for name in [
        "get_me",
        "put_me",
        "create_event",
        "list_events",
        "get_event",
        "patch_event",
        "delete_event",
        "list_photos",
        "get_photo",
        "delete_photo",
        "retry_photo",
        "derive_one",
        "create_derivative_job",
        "get_derivative_job",
        "create_code",
        "list_codes",
        "patch_code",
        "revoke_code",
    ] {
        let (status, body) = h.send(ev(name).anonymous()).await;
        assert_error(status, &body, 401, "unauthorized");
    }
}

#[tokio::test]
async fn create_event_derives_the_slug_and_refuses_a_taken_one() {
    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let (status, body) = h.send(ev("create_event").as_user(&anna)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["slug"], "anna-ben-s-wedding");
    assert_eq!(body["photo_count"], 0);
    assert!(body["expires_at"].as_str().expect("rfc3339").ends_with('Z'));
    // The same name again gets the next free slug.
    let (status, body) = h.send(ev("create_event").as_user(&anna)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["slug"], "anna-ben-s-wedding-2");
    // A chosen slug that is taken is a conflict.
    let (status, body) = h
        .send(
            ev("create_event")
                .as_user(&anna)
                .json(json!({"name": "Other", "slug": "anna-ben-s-wedding", "ttl_seconds": 3600})),
        )
        .await;
    assert_error(status, &body, 409, "slug_taken");
    // Another photographer may use the same slug.
    let ben = Photographer::new("ben");
    let (status, body) = h
        .send(
            ev("create_event")
                .as_user(&ben)
                .json(json!({"name": "Other", "slug": "anna-ben-s-wedding", "ttl_seconds": 3600})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn create_event_bad_inputs_are_4xx() {
    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let cases: Vec<(ApiRequest, u16, &str)> = vec![
        (
            ev("create_event").raw_body("{\"name\": "),
            400,
            "malformed_json",
        ),
        (
            ev("create_event").raw_body("not json"),
            400,
            "malformed_json",
        ),
        (ev("create_event").no_body(), 400, "malformed_json"),
        (
            ev("create_event").json(json!({"name": "x", "ttl_seconds": "soon"})),
            422,
            "invalid_body",
        ),
        (
            ev("create_event").json(json!({"name": "x"})),
            422,
            "invalid_body",
        ),
        (
            ev("create_event").json(json!({"name": "x", "ttl_seconds": 3600, "extra": 1})),
            422,
            "invalid_body",
        ),
        (
            ev("create_event").json(json!({"name": "x", "ttl_seconds": 60})),
            422,
            "invalid_ttl",
        ),
        (
            ev("create_event").json(json!({"name": "  ", "ttl_seconds": 3600})),
            422,
            "invalid_name",
        ),
        (
            ev("create_event").json(json!({"name": "x", "slug": "Bad Slug", "ttl_seconds": 3600})),
            422,
            "invalid_slug",
        ),
        (
            ev("create_event")
                .json(json!({"name": "x".repeat(2 * 1024 * 1024), "ttl_seconds": 3600})),
            413,
            "body_too_large",
        ),
    ];
    for (req, status_want, code) in cases {
        let (status, body) = h.send(req.as_user(&anna)).await;
        assert_error(status, &body, status_want, code);
    }
}

#[tokio::test]
async fn events_list_newest_first_in_pages() {
    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let mut made = Vec::new();
    for name in ["First", "Second", "Third"] {
        made.push(create_event(&h, &anna, name).await);
    }
    let (status, page1) = h
        .send(ev("list_events").as_user(&anna).query("limit=2"))
        .await;
    assert_eq!(status, 200, "{page1}");
    let items = page1["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["event_id"], made[2].as_str());
    let cursor = page1["next_cursor"].as_str().expect("more");
    let (status, page2) = h
        .send(
            ev("list_events")
                .as_user(&anna)
                .query(&format!("limit=2&cursor={cursor}")),
        )
        .await;
    assert_eq!(status, 200, "{page2}");
    assert_eq!(page2["items"].as_array().expect("items").len(), 1);
    assert_eq!(page2["items"][0]["event_id"], made[0].as_str());
    assert!(page2["next_cursor"].is_null());

    let (status, body) = h
        .send(ev("list_events").as_user(&anna).query("limit=0"))
        .await;
    assert_error(status, &body, 422, "invalid_limit");
    let (status, body) = h
        .send(ev("list_events").as_user(&anna).query("limit=201"))
        .await;
    assert_error(status, &body, 422, "invalid_limit");
    let (status, body) = h
        .send(ev("list_events").as_user(&anna).query("cursor=garbage"))
        .await;
    assert_error(status, &body, 400, "invalid_cursor");
}

#[tokio::test]
async fn get_and_patch_an_event() {
    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let event_id = create_event(&h, &anna, "Gala").await;
    let (status, body) = h
        .send(ev("get_event").as_user(&anna).ids(Some(&event_id), None))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "Gala");

    let (status, body) = h
        .send(ev("patch_event").as_user(&anna).ids(Some(&event_id), None))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "Anna & Ben");
    assert_eq!(body["watermark"]["kind"], "text");
    assert_eq!(body["watermark"]["position"], "south-east");

    let photo_id = upload_photo(&h, &anna, &event_id, b"cover bytes").await;
    let (status, body) = h
        .send(
            ev("patch_event")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .json(json!({"cover_photo_id": photo_id, "watermark": null})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["cover_photo_id"], photo_id.as_str());
    assert!(body["watermark"].is_null());

    let bad: Vec<(Value, u16, &str)> = vec![
        (
            json!({"cover_photo_id": EventId::generate().to_string()}),
            422,
            "invalid_cover_photo_id",
        ),
        (json!({"cover_photo_id": "nope"}), 422, "invalid_body"),
        (
            json!({"expires_at": "2099-01-01T00:00:00Z"}),
            422,
            "invalid_expires_at",
        ),
        (json!({"expires_at": "tomorrow"}), 422, "invalid_body"),
        (json!({"name": ""}), 422, "invalid_name"),
        (
            json!({"watermark": {"kind": "text", "text": "x", "position": "center", "opacity": 2.0, "scale": 0.2}}),
            422,
            "invalid_watermark",
        ),
        (json!({"slug": "new"}), 422, "invalid_body"),
    ];
    for (patch, want, code) in bad {
        let (status, body) = h
            .send(
                ev("patch_event")
                    .as_user(&anna)
                    .ids(Some(&event_id), None)
                    .json(patch.clone()),
            )
            .await;
        assert_error(status, &body, want, code);
    }

    // An expiry in the past expires the event at once: 410 from then on.
    let (status, body) = h
        .send(
            ev("patch_event")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .json(json!({"expires_at": "2020-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = h
        .send(ev("get_event").as_user(&anna).ids(Some(&event_id), None))
        .await;
    assert_eq!(status, 410, "{body}");

    let (status, body) = h
        .send(ev("get_event").as_user(&anna).ids(Some("not-an-id"), None))
        .await;
    assert_error(status, &body, 400, "invalid_event");
    let unknown = EventId::generate().to_string();
    let (status, body) = h
        .send(ev("get_event").as_user(&anna).ids(Some(&unknown), None))
        .await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn deleting_an_event_removes_every_object_and_row() {
    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let event_id = create_event(&h, &anna, "Doomed").await;
    let photo_id = upload_photo(&h, &anna, &event_id, b"some jpeg bytes").await;
    let (status, _) = h
        .send(
            ev("create_code")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .json(json!({"label": "x", "all": true})),
        )
        .await;
    assert_eq!(status, 201);
    let prefix = format!("originals/{}/{event_id}/", anna.sub);
    let page = shared::domain::PageRequest::first(10);
    assert_eq!(
        h.deps
            .blobs
            .list(&prefix, &page)
            .await
            .expect("list")
            .items
            .len(),
        1
    );

    let (status, body) = h
        .send(ev("delete_event").as_user(&anna).ids(Some(&event_id), None))
        .await;
    assert_eq!(status, 204, "{body}");
    assert!(body.is_null());
    assert!(
        h.deps
            .blobs
            .list(&prefix, &page)
            .await
            .expect("list")
            .items
            .is_empty()
    );
    let (status, _) = h
        .send(ev("get_event").as_user(&anna).ids(Some(&event_id), None))
        .await;
    assert_eq!(status, 404);
    let eid = EventId::parse(&event_id).expect("id");
    let pid = shared::domain::PhotoId::parse(&photo_id).expect("id");
    assert!(
        h.deps
            .catalog
            .get_photo(eid, pid)
            .await
            .expect_err("row gone")
            .is_not_found()
    );
    // The slug is free again.
    let again = create_event(&h, &anna, "Doomed").await;
    let (_, body) = h
        .send(ev("get_event").as_user(&anna).ids(Some(&again), None))
        .await;
    assert_eq!(body["slug"], "doomed");
}

#[tokio::test]
async fn photos_list_read_delete_and_retry() {
    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let event_id = create_event(&h, &anna, "Photos").await;
    let ready = upload_photo(&h, &anna, &event_id, b"ready one").await;
    let failed = upload_photo(&h, &anna, &event_id, b"failed one").await;
    let pending = upload_photo(&h, &anna, &event_id, b"pending one").await;
    mark_photo(&h, &event_id, &ready, PhotoStatus::Ready).await;
    mark_photo(&h, &event_id, &failed, PhotoStatus::Failed).await;

    let (status, body) = h
        .send(ev("list_photos").as_user(&anna).ids(Some(&event_id), None))
        .await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["photo_id"], ready.as_str());
    assert_eq!(items[0]["status"], "ready");
    assert!(
        items[0]["thumb_url"]
            .as_str()
            .expect("signed")
            .starts_with("http://127.0.0.1")
    );
    assert!(items[0]["web_url"].is_string());
    assert_eq!(items[0]["width"], 4000);
    assert_eq!(items[1]["status"], "failed");
    assert_eq!(items[1]["error"]["code"], "not_an_image");
    assert!(items[2]["thumb_url"].is_null());

    let (status, body) = h
        .send(
            ev("list_photos")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .query("status=failed"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["items"].as_array().expect("items").len(), 1);
    for q in ["status=done", "sort=name", "limit=x"] {
        let (status, body) = h
            .send(
                ev("list_photos")
                    .as_user(&anna)
                    .ids(Some(&event_id), None)
                    .query(q),
            )
            .await;
        assert_eq!(status, 422, "{q}: {body}");
    }
    let (status, body) = h
        .send(
            ev("list_photos")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .query("sort=taken&limit=1"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["next_cursor"].is_string());

    let (status, body) = h
        .send(
            ev("get_photo")
                .as_user(&anna)
                .ids(Some(&event_id), Some(&ready)),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["filename"], "photo.jpg");
    let (status, body) = h
        .send(
            ev("get_photo")
                .as_user(&anna)
                .ids(Some(&event_id), Some("bad")),
        )
        .await;
    assert_error(status, &body, 400, "invalid_photo");
    let missing = shared::domain::PhotoId::generate().to_string();
    let (status, _) = h
        .send(
            ev("get_photo")
                .as_user(&anna)
                .ids(Some(&event_id), Some(&missing)),
        )
        .await;
    assert_eq!(status, 404);

    // Retry: only a failed photo; it goes back to pending and to the processor's queue.
    let (status, body) = h
        .send(
            ev("retry_photo")
                .as_user(&anna)
                .ids(Some(&event_id), Some(&pending)),
        )
        .await;
    assert_error(status, &body, 409, "not_failed");
    let (status, body) = h
        .send(
            ev("retry_photo")
                .as_user(&anna)
                .ids(Some(&event_id), Some(&failed)),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "pending");
    assert!(body["error"].is_null());
    let messages = h
        .process_queue
        .receive(10, Duration::from_millis(10))
        .await
        .expect("receive");
    assert_eq!(messages.len(), 1);
    let notification: aws_lambda_events::event::s3::S3Event =
        serde_json::from_str(&messages[0].body).expect("an S3 notification");
    let key = notification.records[0].s3.object.key.clone().expect("key");
    assert_eq!(
        key,
        format!("originals/{}/{event_id}/{failed}", anna.sub).replace(':', "%3A")
    );

    // Delete: the original goes, the row goes, the counter goes down.
    let original = format!("originals/{}/{event_id}/{ready}", anna.sub);
    h.deps.blobs.head(&original).await.expect("original stored");
    let (status, _) = h
        .send(
            ev("delete_photo")
                .as_user(&anna)
                .ids(Some(&event_id), Some(&ready)),
        )
        .await;
    assert_eq!(status, 204);
    assert!(
        h.deps
            .blobs
            .head(&original)
            .await
            .expect_err("gone")
            .is_not_found()
    );
    let (status, _) = h
        .send(
            ev("get_photo")
                .as_user(&anna)
                .ids(Some(&event_id), Some(&ready)),
        )
        .await;
    assert_eq!(status, 404);
    let (_, event) = h
        .send(ev("get_event").as_user(&anna).ids(Some(&event_id), None))
        .await;
    assert_eq!(event["photo_count"], 2);
}

#[tokio::test]
async fn access_codes_are_created_listed_changed_and_revoked() {
    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let event_id = create_event(&h, &anna, "Codes").await;
    let p1 = upload_photo(&h, &anna, &event_id, b"one").await;
    let p2 = upload_photo(&h, &anna, &event_id, b"two").await;
    let other_event = create_event(&h, &anna, "Other").await;
    let foreign = upload_photo(&h, &anna, &other_event, b"three").await;

    let (status, all) = h
        .send(
            ev("create_code")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .json(json!({"label": "Everyone", "all": true})),
        )
        .await;
    assert_eq!(status, 201, "{all}");
    let code = all["code"].as_str().expect("code");
    assert_eq!(code.len(), 14, "grouped XXXX-XXXX-XXXX: {code}");
    assert_eq!(all["all"], true);

    let (status, subset) = h
        .send(
            ev("create_code")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .json(json!({"label": "Bride's family", "photo_ids": [p1, p1], "expires_at": "2099-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(status, 201, "{subset}");
    assert_eq!(subset["photo_ids"], json!([p1]));
    assert_eq!(subset["expires_at"], "2099-01-01T00:00:00Z");

    // The catalog never holds the code in plain text.
    let eid = EventId::parse(&event_id).expect("id");
    let row = h
        .deps
        .catalog
        .get_code(eid, all["code_id"].as_str().expect("code_id"))
        .await
        .expect("row");
    assert!(!row.sealed_code.contains(&code.replace('-', "")));
    assert!(!row.code_key.contains(&code.replace('-', "")));

    let bad: Vec<(Value, u16, &str)> = vec![
        (json!({"label": "x"}), 422, "invalid_subset"),
        (
            json!({"label": "x", "all": true, "photo_ids": [p1]}),
            422,
            "invalid_subset",
        ),
        (
            json!({"label": "x", "photo_ids": []}),
            422,
            "invalid_subset",
        ),
        (
            json!({"label": "x", "photo_ids": [foreign]}),
            422,
            "invalid_subset",
        ),
        (
            json!({"label": "x", "photo_ids": ["not-an-id"]}),
            422,
            "invalid_body",
        ),
        (json!({"label": "", "all": true}), 422, "invalid_label"),
        (
            json!({"label": "x", "all": true, "expires_at": "2001-01-01T00:00:00Z"}),
            422,
            "invalid_expires_at",
        ),
    ];
    for (req, want, code) in bad {
        let (status, body) = h
            .send(
                ev("create_code")
                    .as_user(&anna)
                    .ids(Some(&event_id), None)
                    .json(req.clone()),
            )
            .await;
        assert_error(status, &body, want, code);
    }

    let (status, list) = h
        .send(ev("list_codes").as_user(&anna).ids(Some(&event_id), None))
        .await;
    assert_eq!(status, 200, "{list}");
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    // Codes made in the same second may list in either order.
    let listed: Vec<&Value> = items.iter().map(|c| &c["code"]).collect();
    assert!(listed.contains(&&Value::from(code)), "{list}");

    // Change the subset, by the code as typed (lowercase, spaces) and by code_id.
    let typed = code.to_lowercase().replace('-', " ");
    let (status, body) = h
        .send(
            ev("patch_code")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .path_replace(SAMPLE_CODE, &typed.replace(' ', "%20"))
                .json(json!({"photo_ids": [p1, p2], "label": "Family"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["photo_ids"], json!([p1, p2]));
    assert_eq!(body["all"], false);
    let code_id = subset["code_id"].as_str().expect("code_id");
    let (status, body) = h
        .send(
            ev("patch_code")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .path_replace(SAMPLE_CODE, code_id)
                .json(json!({"expires_at": null})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["expires_at"].is_null());
    let (status, body) = h
        .send(
            ev("patch_code")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .path_replace(SAMPLE_CODE, code_id)
                .json(json!({"photo_ids": [foreign]})),
        )
        .await;
    assert_error(status, &body, 422, "invalid_subset");

    // Revoke: 204, still listed with revoked_at, no longer editable; again is fine.
    let (status, _) = h
        .send(
            ev("revoke_code")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .path_replace(SAMPLE_CODE, code),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = h
        .send(
            ev("revoke_code")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .path_replace(SAMPLE_CODE, code),
        )
        .await;
    assert_eq!(status, 204);
    let (_, list) = h
        .send(ev("list_codes").as_user(&anna).ids(Some(&event_id), None))
        .await;
    let revoked = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["code"] == code)
        .expect("revoked code still listed");
    assert!(revoked["revoked_at"].is_string(), "{list}");
    let (status, body) = h
        .send(
            ev("patch_code")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .path_replace(SAMPLE_CODE, code),
        )
        .await;
    assert_error(status, &body, 409, "code_revoked");

    for unknown in ["ZZZZ-ZZZZ-ZZZZ", "not a code", &"0".repeat(64)] {
        let (status, body) = h
            .send(
                ev("revoke_code")
                    .as_user(&anna)
                    .ids(Some(&event_id), None)
                    .path_replace(SAMPLE_CODE, &unknown.replace(' ', "%20")),
            )
            .await;
        assert_error(status, &body, 404, "code_not_found");
    }
}

#[tokio::test]
async fn derivative_requests_are_checked_recorded_and_queued() {
    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let event_id = create_event(&h, &anna, "Derive").await;
    let ready = upload_photo(&h, &anna, &event_id, b"ready").await;
    let pending = upload_photo(&h, &anna, &event_id, b"pending").await;
    mark_photo(&h, &event_id, &ready, PhotoStatus::Ready).await;

    let spec = json!({"resize": {"width": 800, "fit": "inside"}, "format": "webp", "quality": 80});
    let (status, body) = h
        .send(
            ev("create_derivative_job")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .json(json!({"photo_ids": [ready], "spec": spec})),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let job_id = body["job_id"].as_str().expect("job_id").to_owned();
    let messages = h
        .process_queue
        .receive(10, Duration::from_millis(10))
        .await
        .expect("receive");
    assert_eq!(messages.len(), 1);
    let message: Value = serde_json::from_str(&messages[0].body).expect("json");
    assert_eq!(message["job_id"], job_id.as_str());
    assert_eq!(message["kind"], "derivatives");

    let (status, body) = h
        .send(
            ev("get_derivative_job")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .path_replace(SAMPLE_JOB_ID, &job_id),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "queued");
    assert_eq!(body["total"], 1);
    assert_eq!(body["items"][0]["photo_id"], ready.as_str());

    let bad: Vec<(Value, u16, &str)> = vec![
        (
            json!({"photo_ids": [pending], "spec": spec}),
            422,
            "photo_not_ready",
        ),
        (
            json!({"photo_ids": [], "spec": spec}),
            422,
            "invalid_photo_ids",
        ),
        (
            json!({"photo_ids": [shared::domain::PhotoId::generate()], "spec": spec}),
            422,
            "invalid_photo_ids",
        ),
        (
            json!({"photo_ids": [ready], "spec": {"quality": 0}}),
            422,
            "invalid_spec",
        ),
        (
            json!({"photo_ids": [ready], "spec": {"resize": {"fit": "cover"}}}),
            422,
            "invalid_spec",
        ),
        (
            json!({"photo_ids": [ready], "spec": {"crop": {"aspect": "0:5"}}}),
            422,
            "invalid_spec",
        ),
        (
            json!({"photo_ids": [ready], "spec": {"format": "gif"}}),
            422,
            "invalid_body",
        ),
        (
            json!({"photo_ids": [ready], "spec": {"watermark": true}}),
            422,
            "no_watermark",
        ),
    ];
    for (req, want, code) in bad {
        let (status, body) = h
            .send(
                ev("create_derivative_job")
                    .as_user(&anna)
                    .ids(Some(&event_id), None)
                    .json(req.clone()),
            )
            .await;
        assert_error(status, &body, want, code);
    }
    let (status, body) = h
        .send(
            ev("get_derivative_job")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .path_replace(
                    SAMPLE_JOB_ID,
                    &shared::domain::JobId::generate().to_string(),
                ),
        )
        .await;
    assert_eq!(status, 404, "{body}");

    // The synchronous route checks the same things before rendering.
    let (status, body) = h
        .send(
            ev("derive_one")
                .as_user(&anna)
                .ids(Some(&event_id), Some(&pending)),
        )
        .await;
    assert_error(status, &body, 422, "photo_not_ready");
    let (status, body) = h
        .send(
            ev("derive_one")
                .as_user(&anna)
                .ids(Some(&event_id), Some(&ready))
                .json(json!({"spec": {"quality": 101}})),
        )
        .await;
    assert_error(status, &body, 422, "invalid_spec");
}
