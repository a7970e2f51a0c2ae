//! Custom derivatives end to end: real uploads through their tickets, the real processor
//! making the photos ready, then the synchronous route and an async job worked through by
//! the `process` function's handler, each result fetched through its signed URL and decoded;
//! a job that outlasts an invocation moves through the queue in slices.

use serde_json::{Value, json};
use shared::domain::{EventId, PhotoId, keys};
use shared::ports::QueueConsumer;
use shared::processing::queue_messages::handle_body;
use shared::processing::{Outcome, PipelineDeriver, ProcessDeps, process_original};
use std::sync::Arc;
use std::time::{Duration, Instant};
use testkit::api::{ApiHarness, ApiRequest, Photographer, SAMPLE_JOB_ID};
use testkit::api_flows::{create_event, ev, file_entry, put_with_ticket, request_uploads};

/// `GET …/derivatives/{job_id}` as `who`.
fn job_progress(who: &Photographer, event_id: &str, job_id: &str) -> ApiRequest {
    ev("get_derivative_job")
        .as_user(who)
        .ids(Some(event_id), None)
        .path_replace(SAMPLE_JOB_ID, job_id)
}

/// A `width × height` PNG with a horizontal gradient (so crops and scales are visible).
fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

fn process_deps(h: &ApiHarness) -> ProcessDeps {
    ProcessDeps {
        catalog: Arc::clone(&h.deps.catalog),
        blobs: Arc::clone(&h.deps.blobs),
        deriver: Arc::new(PipelineDeriver::default()),
        lease_secs: 120,
        max_original_bytes: shared::domain::MAX_ORIGINAL_BYTES,
        process_queue: h.process_queue.clone(),
    }
}

/// Uploads `bytes` through a real ticket and runs the real processor on the original.
async fn ready_photo(h: &ApiHarness, who: &Photographer, event_id: &str, bytes: Vec<u8>) -> String {
    let (status, body) = request_uploads(
        h,
        who,
        event_id,
        vec![file_entry("photo.png", "image/png", &bytes)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let ticket = &body["tickets"][0];
    assert_eq!(put_with_ticket(ticket, bytes).await, 200);
    let photo_id = ticket["photo_id"].as_str().expect("photo_id").to_owned();
    let photo = h
        .deps
        .catalog
        .get_photo(
            EventId::parse(event_id).expect("event id"),
            PhotoId::parse(&photo_id).expect("photo id"),
        )
        .await
        .expect("photo row");
    let key = keys::original(&photo.owner_id, photo.event_id, photo.photo_id);
    let outcome = process_original(&process_deps(h), &key)
        .await
        .expect("processed");
    assert_eq!(outcome, Outcome::Ready);
    photo_id
}

async fn fetch_image(url: &str) -> image::DynamicImage {
    let response = reqwest::get(url).await.expect("GET the signed URL");
    assert_eq!(response.status(), 200, "{url}");
    let bytes = response.bytes().await.expect("body");
    image::load_from_memory(&bytes).expect("a decodable image")
}

#[tokio::test]
async fn synchronous_derivative_is_rendered_stored_and_signed() {
    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let event_id = create_event(&h, &anna, "Sync").await;
    let photo_id = ready_photo(&h, &anna, &event_id, png(300, 200)).await;

    let spec = json!({"crop": {"aspect": "1:1", "gravity": "east"},
        "resize": {"width": 64, "fit": "inside"}, "format": "png"});
    let derive = || {
        ev("derive_one")
            .as_user(&anna)
            .ids(Some(&event_id), Some(&photo_id))
            .json(json!({ "spec": spec }))
    };
    let (status, body) = h.send(derive()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["width"].as_u64(), body["height"].as_u64()),
        (Some(64), Some(64))
    );
    let img = fetch_image(body["url"].as_str().expect("url")).await;
    assert_eq!((img.width(), img.height()), (64, 64));
    // East gravity keeps x 100..300 of the 300 px gradient: the left column is a third red
    // (a centred crop would start at 50/300, a west one at 0).
    let left = img.to_rgb8().get_pixel(0, 32).0;
    assert!(
        (75..=95).contains(&left[0]),
        "the crop should start a third of the way in: {left:?}"
    );
    let url_bytes = body["bytes"].as_u64().expect("bytes");

    // The same spec again overwrites the same object rather than adding one.
    let (status, again) = h.send(derive()).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["bytes"].as_u64(), Some(url_bytes));
    let photo = h
        .deps
        .catalog
        .get_photo(
            EventId::parse(&event_id).expect("id"),
            PhotoId::parse(&photo_id).expect("id"),
        )
        .await
        .expect("photo");
    let prefix = keys::derived_prefix(&photo.owner_id, photo.event_id, photo.photo_id);
    let stored = h
        .deps
        .blobs
        .list(&prefix, &shared::domain::PageRequest::first(100))
        .await
        .expect("list");
    let customs = stored
        .items
        .iter()
        .filter(|o| o.key.contains("/custom-"))
        .count();
    assert_eq!(customs, 1, "{:?}", stored.items);

    // A crop box outside the upright image is the client's mistake, not a 500.
    let (status, body) = h
        .send(
            ev("derive_one")
                .as_user(&anna)
                .ids(Some(&event_id), Some(&photo_id))
                .json(json!({"spec": {"crop": {"x": 250, "y": 0, "width": 100, "height": 100}}})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "invalid_spec");
}

#[tokio::test]
async fn derivative_job_is_worked_through_by_the_processor_with_progress() {
    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let event_id = create_event(&h, &anna, "Async").await;
    let first = ready_photo(&h, &anna, &event_id, png(120, 80)).await;
    let second = ready_photo(&h, &anna, &event_id, png(80, 120)).await;
    let doomed = ready_photo(&h, &anna, &event_id, png(50, 50)).await;

    let (status, body) = h
        .send(
            ev("create_derivative_job")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .json(json!({"photo_ids": [first, second, doomed],
                    "spec": {"resize": {"width": 40, "height": 40, "fit": "cover"}, "format": "webp"}})),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let job_id = body["job_id"].as_str().expect("job_id").to_owned();
    // Deleted between the request and the work: that item fails, the others go on.
    let (status, body) = h
        .send(
            ev("delete_photo")
                .as_user(&anna)
                .ids(Some(&event_id), Some(&doomed)),
        )
        .await;
    assert_eq!(status, 204, "{body}");

    let messages = h
        .process_queue
        .receive(10, Duration::from_millis(10))
        .await
        .expect("receive");
    assert_eq!(messages.len(), 1);
    let deps = process_deps(&h);
    handle_body(&deps, &messages[0].body, None)
        .await
        .expect("job handled");
    // A duplicate delivery of a finished job changes nothing.
    handle_body(&deps, &messages[0].body, None)
        .await
        .expect("duplicate handled");

    let (status, job) = h.send(job_progress(&anna, &event_id, &job_id)).await;
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(
        (job["done"].as_u64(), job["failed"].as_u64()),
        (Some(2), Some(1))
    );
    let items = job["items"].as_array().expect("items");
    for item in &items[..2] {
        let img = fetch_image(item["url"].as_str().expect("url")).await;
        assert_eq!((img.width(), img.height()), (40, 40), "{item}");
    }
    assert_eq!(items[2]["photo_id"], Value::String(doomed));
    assert!(items[2]["url"].is_null(), "{job}");
    assert!(
        items[2]["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("photo_not_found")),
        "{job}"
    );
}

#[tokio::test]
async fn job_message_for_a_missing_job_is_dropped_and_foreign_bodies_are_not_jobs() {
    let h = ApiHarness::start().await;
    let deps = process_deps(&h);
    let missing = json!({"kind": "derivatives", "event_id": EventId::generate(),
        "job_id": shared::domain::JobId::generate()});
    handle_body(&deps, &missing.to_string(), None)
        .await
        .expect("a job that is gone is nothing to do");
    // Not a job message and not an S3 notification: permanent, so not retried.
    let err = handle_body(&deps, r#"{"kind": "derivatives"}"#, None)
        .await
        .expect_err("garbage");
    assert_eq!(
        err.retry_class(),
        shared::error::RetryClass::Permanent,
        "{err}"
    );
}

/// A job given less time than `JOB_TIME_MARGIN` (as on Lambda near the deadline) does one
/// item per delivery, saves it, and sends its message again before the delivery is acked:
/// three photos take exactly three deliveries, progress shows after each, and the queue is
/// empty once the job is done.
#[tokio::test]
async fn job_out_of_time_continues_in_a_new_message_one_item_at_least() {
    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let event_id = create_event(&h, &anna, "Slices").await;
    let mut photo_ids = Vec::new();
    for (w, h_px) in [(90, 60), (60, 90), (70, 70)] {
        photo_ids.push(ready_photo(&h, &anna, &event_id, png(w, h_px)).await);
    }
    let (status, body) = h
        .send(
            ev("create_derivative_job")
                .as_user(&anna)
                .ids(Some(&event_id), None)
                .json(json!({"photo_ids": photo_ids, "spec": {"resize": {"width": 30}, "format": "png"}})),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let job_id = body["job_id"].as_str().expect("job_id").to_owned();
    let deps = process_deps(&h);
    let mut deliveries = 0;
    loop {
        let messages = h
            .process_queue
            .receive(10, Duration::from_millis(10))
            .await
            .expect("receive");
        let Some(delivery) = messages.first() else {
            break;
        };
        assert_eq!(messages.len(), 1, "one message per job at a time");
        deliveries += 1;
        assert!(deliveries <= 3, "no more deliveries than items");
        let out_of_time = Some(Instant::now());
        handle_body(&deps, &delivery.body, out_of_time)
            .await
            .expect("slice handled");
        h.process_queue.ack(delivery).await.expect("ack");
        let (status, progress) = h.send(job_progress(&anna, &event_id, &job_id)).await;
        assert_eq!(status, 200, "{progress}");
        assert_eq!(progress["done"].as_u64(), Some(deliveries), "{progress}");
        let want = if deliveries == 3 { "done" } else { "running" };
        assert_eq!(progress["state"], want, "{progress}");
    }
    assert_eq!(deliveries, 3);
    let (_, finished) = h.send(job_progress(&anna, &event_id, &job_id)).await;
    for item in finished["items"].as_array().expect("items") {
        let img = fetch_image(item["url"].as_str().expect("url")).await;
        assert_eq!(img.width(), 30, "{item}");
    }
}
