//! The `events` function's photo routes (list, read, delete, retry), driven by its sample
//! API Gateway events, on SQLite + FsBlobs + in-process queues.

use shared::domain::PhotoStatus;
use shared::ports::QueueConsumer;
use std::time::Duration;
use testkit::api::{ApiHarness, Photographer};
use testkit::api_flows::{assert_error, create_event, ev, mark_photo, upload_photo};

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
