//! Two photographers: one cannot read, list, upload to, code, or delete the other's
//! anything. Table-driven over every route both functions serve; the table must name each
//! route of both route tables, so a new route cannot skip this test.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use shared::domain::{EventId, PhotoId, PhotoStatus};
use shared::http::{events_api, presign_api};
use testkit::api::{ApiHarness, ApiRequest, Function, Photographer, SAMPLE_CODE, SAMPLE_JOB_ID};
use testkit::api_flows::{create_event, file_entry, mark_photo, request_uploads, upload_photo};

/// What Anna owns.
struct Owned {
    event_id: String,
    ready: String,
    failed: String,
    multipart: String,
    code: String,
    job_id: String,
}

async fn anna_owns_everything(h: &ApiHarness, anna: &Photographer) -> Owned {
    let event_id = create_event(h, anna, "Anna's wedding").await;
    let ready = upload_photo(h, anna, &event_id, b"ready photo").await;
    let failed = upload_photo(h, anna, &event_id, b"failed photo").await;
    mark_photo(h, &event_id, &ready, PhotoStatus::Ready).await;
    mark_photo(h, &event_id, &failed, PhotoStatus::Failed).await;
    let big = json!({"name": "big.jpg", "content_type": "image/jpeg", "bytes": 40 * 1024 * 1024, "sha256": "ab".repeat(32)});
    let (status, body) = request_uploads(h, anna, &event_id, vec![big]).await;
    assert_eq!(status, 200, "{body}");
    let multipart = body["tickets"][0]["photo_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (status, code) = h
        .send(
            ApiRequest::sample(Function::Events, "create_code")
                .as_user(anna)
                .ids(Some(&event_id), None)
                .json(json!({"label": "Family", "all": true})),
        )
        .await;
    assert_eq!(status, 201, "{code}");
    let (status, job) = h
        .send(
            ApiRequest::sample(Function::Events, "create_derivative_job")
                .as_user(anna)
                .ids(Some(&event_id), None)
                .json(json!({"photo_ids": [ready], "spec": {"format": "png"}})),
        )
        .await;
    assert_eq!(status, 202, "{job}");
    Owned {
        event_id,
        ready,
        failed,
        multipart,
        code: code["code"].as_str().expect("code").to_owned(),
        job_id: job["job_id"].as_str().expect("job").to_owned(),
    }
}

/// One row: a route, the sample event that exercises it, and which of Anna's photos its
/// path names.
struct Row {
    method: &'static str,
    pattern: &'static str,
    function: Function,
    sample: &'static str,
    photo: Option<fn(&Owned) -> &str>,
}

fn table() -> Vec<Row> {
    let row = |method, pattern, function, sample, photo| Row {
        method,
        pattern,
        function,
        sample,
        photo,
    };
    let ready: Option<fn(&Owned) -> &str> = Some(|o| &o.ready);
    let failed: Option<fn(&Owned) -> &str> = Some(|o| &o.failed);
    let multipart: Option<fn(&Owned) -> &str> = Some(|o| &o.multipart);
    use Function::{Events as E, Presign as P};
    vec![
        row(
            "POST",
            "/api/events/{event_id}/uploads",
            P,
            "create_uploads",
            None,
        ),
        row(
            "POST",
            "/api/events/{event_id}/uploads/{photo_id}/parts",
            P,
            "sign_parts",
            multipart,
        ),
        row(
            "GET",
            "/api/events/{event_id}/uploads/{photo_id}/parts",
            P,
            "list_parts",
            multipart,
        ),
        row(
            "POST",
            "/api/events/{event_id}/uploads/{photo_id}/complete",
            P,
            "complete",
            multipart,
        ),
        row(
            "DELETE",
            "/api/events/{event_id}/uploads/{photo_id}",
            P,
            "abort",
            multipart,
        ),
        row("GET", "/api/events/{event_id}", E, "get_event", None),
        row("PATCH", "/api/events/{event_id}", E, "patch_event", None),
        row("DELETE", "/api/events/{event_id}", E, "delete_event", None),
        row(
            "GET",
            "/api/events/{event_id}/photos",
            E,
            "list_photos",
            None,
        ),
        row(
            "GET",
            "/api/events/{event_id}/photos/{photo_id}",
            E,
            "get_photo",
            ready,
        ),
        row(
            "DELETE",
            "/api/events/{event_id}/photos/{photo_id}",
            E,
            "delete_photo",
            ready,
        ),
        row(
            "POST",
            "/api/events/{event_id}/photos/{photo_id}/retry",
            E,
            "retry_photo",
            failed,
        ),
        row(
            "POST",
            "/api/events/{event_id}/photos/{photo_id}/derivatives",
            E,
            "derive_one",
            ready,
        ),
        row(
            "POST",
            "/api/events/{event_id}/derivatives",
            E,
            "create_derivative_job",
            None,
        ),
        row(
            "GET",
            "/api/events/{event_id}/derivatives/{job_id}",
            E,
            "get_derivative_job",
            None,
        ),
        row(
            "POST",
            "/api/events/{event_id}/codes",
            E,
            "create_code",
            None,
        ),
        row("GET", "/api/events/{event_id}/codes", E, "list_codes", None),
        row(
            "PATCH",
            "/api/events/{event_id}/codes/{code}",
            E,
            "patch_code",
            None,
        ),
        row(
            "DELETE",
            "/api/events/{event_id}/codes/{code}",
            E,
            "revoke_code",
            None,
        ),
    ]
}

/// Routes scoped to the caller by construction (no id of anyone else's in the path).
const CALLER_SCOPED: &[(&str, &str)] = &[
    ("GET", "/api/me"),
    ("PUT", "/api/me"),
    ("POST", "/api/events"),
    ("GET", "/api/events"),
];

#[test]
fn the_table_names_every_route_of_both_functions() {
    let served: BTreeSet<(String, String)> = presign_api::router()
        .routes()
        .iter()
        .map(|r| (r.method.to_string(), r.pattern.to_owned()))
        .chain(
            events_api::router()
                .routes()
                .iter()
                .map(|r| (r.method.to_string(), r.pattern.to_owned())),
        )
        .collect();
    let covered: BTreeSet<(String, String)> = table()
        .iter()
        .map(|r| (r.method.to_owned(), r.pattern.to_owned()))
        .chain(
            CALLER_SCOPED
                .iter()
                .map(|(m, p)| ((*m).to_owned(), (*p).to_owned())),
        )
        .collect();
    assert_eq!(served, covered);
}

#[tokio::test]
async fn another_photographer_gets_404_on_every_route_and_changes_nothing() {
    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let ben = Photographer::new("ben");
    let owned = anna_owns_everything(&h, &anna).await;
    // Ben has his own event, so "not yours" cannot be confused with "no events at all".
    let bens_event = create_event(&h, &ben, "Ben's party").await;

    for row in table() {
        let req = ApiRequest::sample(row.function, row.sample)
            .as_user(&ben)
            .ids(Some(&owned.event_id), row.photo.map(|f| f(&owned)))
            .path_replace(SAMPLE_JOB_ID, &owned.job_id)
            .path_replace(SAMPLE_CODE, &owned.code);
        let (status, body) = h.send(req).await;
        assert_eq!(status, 404, "{} {}: {body}", row.method, row.pattern);
        assert_eq!(
            body["error"]["code"], "event_not_found",
            "{} {}",
            row.method, row.pattern
        );
    }

    // Ben's lists hold only his own things.
    let (status, events) = h
        .send(ApiRequest::sample(Function::Events, "list_events").as_user(&ben))
        .await;
    assert_eq!(status, 200);
    let ids: Vec<&Value> = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| &e["event_id"])
        .collect();
    assert_eq!(ids, vec![&Value::from(bens_event.as_str())]);
    let (_, me) = h
        .send(ApiRequest::sample(Function::Events, "get_me").as_user(&ben))
        .await;
    assert_eq!(me["username"], "ben");
    // Ben cannot take Anna's slug path either: slugs are per photographer, so he gets his own.
    let (status, _) = h
        .send(
            ApiRequest::sample(Function::Events, "create_event")
                .as_user(&ben)
                .json(json!({"name": "Anna's wedding", "ttl_seconds": 3600})),
        )
        .await;
    assert_eq!(status, 201);

    // Anna's things are untouched.
    let eid = EventId::parse(&owned.event_id).expect("id");
    let event = h
        .deps
        .catalog
        .get_event(eid)
        .await
        .expect("event still there");
    assert_eq!(event.name, "Anna's wedding");
    assert!(event.watermark.is_none());
    assert_eq!(event.photo_count, 3);
    for (photo, status) in [
        (&owned.ready, PhotoStatus::Ready),
        (&owned.failed, PhotoStatus::Failed),
        (&owned.multipart, PhotoStatus::Pending),
    ] {
        let p = h
            .deps
            .catalog
            .get_photo(eid, PhotoId::parse(photo).expect("id"))
            .await
            .expect("photo still there");
        assert_eq!(p.status, status);
    }
    let (status, codes) = h
        .send(
            ApiRequest::sample(Function::Events, "list_codes")
                .as_user(&anna)
                .ids(Some(&owned.event_id), None),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(codes["items"].as_array().expect("items").len(), 1);
    assert!(codes["items"][0]["revoked_at"].is_null());
    assert_eq!(codes["items"][0]["label"], "Family");
    let original = format!("originals/{}/{}/{}", anna.sub, owned.event_id, owned.ready);
    h.deps
        .blobs
        .head(&original)
        .await
        .expect("original still stored");
    // Ben uploading the same bytes to his own event is not told about Anna's photo.
    let (_, body) = request_uploads(
        &h,
        &ben,
        &bens_event,
        vec![file_entry("same.jpg", "image/jpeg", b"ready photo")],
    )
    .await;
    assert_eq!(body["tickets"][0]["kind"], "single");
}

/// GIVEN Anna's event has expired (its rows stay until the reaper runs) WHEN Ben names it on
/// any route THEN he gets the same 404 as for an event that never existed — ownership is
/// checked before expiry, so he cannot even learn that it existed and expired — while Anna
/// gets 410.
#[tokio::test]
async fn another_photographers_expired_event_is_404_not_410() {
    let h = ApiHarness::start().await;
    let anna = Photographer::new("anna");
    let ben = Photographer::new("ben");
    let owned = anna_owns_everything(&h, &anna).await;
    let (status, body) = h
        .send(
            ApiRequest::sample(Function::Events, "patch_event")
                .as_user(&anna)
                .ids(Some(&owned.event_id), None)
                .json(json!({"expires_at": "2020-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    for row in table() {
        let req = |who: &Photographer| {
            ApiRequest::sample(row.function, row.sample)
                .as_user(who)
                .ids(Some(&owned.event_id), row.photo.map(|f| f(&owned)))
                .path_replace(SAMPLE_JOB_ID, &owned.job_id)
                .path_replace(SAMPLE_CODE, &owned.code)
        };
        let (status, body) = h.send(req(&ben)).await;
        assert_eq!(status, 404, "Ben: {} {}: {body}", row.method, row.pattern);
        assert_eq!(body["error"]["code"], "event_not_found", "{body}");
        let (status, body) = h.send(req(&anna)).await;
        assert_eq!(status, 410, "Anna: {} {}: {body}", row.method, row.pattern);
    }
}
