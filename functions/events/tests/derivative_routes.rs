//! The `events` function's derivative routes (requests checked, recorded, queued), driven
//! by its sample API Gateway events, on SQLite + FsBlobs + in-process queues.

use serde_json::{Value, json};
use shared::domain::PhotoStatus;
use shared::ports::QueueConsumer;
use std::time::Duration;
use testkit::api::{ApiHarness, Photographer, SAMPLE_JOB_ID};
use testkit::api_flows::{assert_error, create_event, ev, mark_photo, upload_photo};

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
