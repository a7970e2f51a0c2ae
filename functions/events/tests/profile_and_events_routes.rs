//! The `events` function's profile and event routes, driven by its sample API Gateway
//! events, on SQLite + FsBlobs + in-process queues.

use serde_json::{Value, json};
use shared::domain::EventId;
use testkit::api::{ApiHarness, ApiRequest, Photographer};
use testkit::api_flows::{
    assert_error, create_event, ev, file_entry, request_uploads, upload_named_photo, upload_photo,
};

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

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::RgbaImage::from_pixel(width, height, image::Rgba([255, 255, 255, 128]))
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encode a PNG");
    out.into_inner()
}

/// A mark the pipeline would refuse, or draw as a sliver, is refused when it is set (422),
/// not discovered on every photo processed afterwards.
#[tokio::test]
async fn an_image_watermark_is_checked_when_it_is_set() {
    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let event_id = create_event(&h, &anna, "Gala").await;
    let mark = |photo_id: &str| {
        json!({"watermark": {"kind": "image", "image_photo_id": photo_id,
                             "position": "south-east", "opacity": 0.5, "scale": 0.2}})
    };
    let patch = |body: Value| {
        ev("patch_event")
            .as_user(&anna)
            .ids(Some(&event_id), None)
            .json(body)
    };

    let good = upload_named_photo(&h, &anna, &event_id, "mark.png", &png(400, 100)).await;
    let (status, body) = h.send(patch(mark(&good))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["watermark"]["image_photo_id"], good.as_str());

    let sliver = upload_named_photo(&h, &anna, &event_id, "sliver.png", &png(1, 4096)).await;
    let not_png = upload_named_photo(&h, &anna, &event_id, "mark.jpg", b"not a png").await;
    let (status, body) = request_uploads(
        &h,
        &anna,
        &event_id,
        vec![file_entry("later.png", "image/png", &png(10, 10))],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let never_uploaded = body["tickets"][0]["photo_id"]
        .as_str()
        .expect("photo_id")
        .to_owned();
    for bad in [&sliver, &not_png, &never_uploaded] {
        let (status, body) = h.send(patch(mark(bad))).await;
        assert_error(status, &body, 422, "invalid_watermark");
    }
    // The refused marks left the good one in place.
    let (status, body) = h
        .send(ev("get_event").as_user(&anna).ids(Some(&event_id), None))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["watermark"]["image_photo_id"], good.as_str());
}
