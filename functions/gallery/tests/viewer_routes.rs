//! The `gallery` function's routes, driven by its sample API Gateway events, on SQLite +
//! FsBlobs and on DynamoDB (moto) + S3 (s3s-fs).

mod support;

use serde_json::{Value, json};
use shared::domain::PhotoStatus;
use support::Gallery;
use testkit::api::{ApiRequest, Function, Storage};
use testkit::api_flows::{assert_error, ev};

/// GIVEN an event with ready, pending and failed photos and two codes WHEN guests unlock
/// THEN each code lists exactly its ready photos, downloads carry the original's name, and
/// nothing else is reachable.
async fn codes_open_exactly_their_ready_photos(storage: Storage) {
    let g = Gallery::start(storage).await;
    let a = g.photo("Ceremony.JPG", b"a", PhotoStatus::Ready).await;
    let b = g.photo("First dance.jpg", b"b", PhotoStatus::Ready).await;
    let c = g.photo("Cake \"best\".jpg", b"c", PhotoStatus::Ready).await;
    let pending = g.photo("pending.jpg", b"p", PhotoStatus::Pending).await;
    let failed = g.photo("failed.jpg", b"f", PhotoStatus::Failed).await;

    let (all, _) = g.code(json!({"label": "Everyone", "all": true})).await;
    let (family, _) = g
        .code(json!({"label": "Family", "photo_ids": [c, a, pending]}))
        .await;

    let everyone = g.token(&all.to_lowercase().replace('-', " ")).await;
    let mut listed = g.listed(&everyone, 2).await;
    listed.sort();
    let mut ready = vec![a.clone(), b.clone(), c.clone()];
    ready.sort();
    assert_eq!(listed, ready, "all: ready photos only, each once");

    let family_token = g.token(&family).await;
    assert_eq!(g.listed(&family_token, 1).await, {
        let mut v = vec![a.clone(), c.clone()];
        v.sort();
        v
    });

    let (status, page) = g.h.send(g.req("list_photos").bearer(&family_token)).await;
    assert_eq!(status, 200);
    let item = &page["items"][0];
    for field in [
        "photo_id",
        "filename",
        "width",
        "height",
        "thumb_url",
        "web_url",
    ] {
        assert!(!item[field].is_null(), "{field}: {item}");
    }

    // Downloads: granted and ready only; the original's name in the signed URL.
    let (status, body) = g.h.send(g.download(&c, &family_token)).await;
    assert_eq!(status, 200, "{body}");
    let url = body["url"].as_str().expect("url");
    let response = reqwest::get(url).await.expect("download");
    assert_eq!(response.status().as_u16(), 200);
    let disposition = response
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .expect("content-disposition")
        .to_owned();
    assert!(
        disposition.contains("filename*=UTF-8''Cake%20%22best%22.jpg"),
        "{disposition}"
    );
    assert_eq!(response.bytes().await.expect("body").as_ref(), b"c");
    for (photo, token) in [
        (&b, &family_token),
        (&pending, &family_token),
        (&failed, &everyone),
        (&pending, &everyone),
    ] {
        let (status, body) = g.h.send(g.download(photo, token)).await;
        assert_error(status, &body, 404, "photo_not_found");
    }
}

#[tokio::test]
async fn codes_open_exactly_their_ready_photos_on_sqlite_and_files() {
    codes_open_exactly_their_ready_photos(Storage::Fs).await;
}

#[tokio::test]
async fn codes_open_exactly_their_ready_photos_on_dynamodb_and_s3() {
    codes_open_exactly_their_ready_photos(Storage::Aws).await;
}

#[tokio::test]
async fn the_landing_shows_name_expiry_and_only_a_chosen_cover() {
    let g = Gallery::start(Storage::Fs).await;
    let cover = g.photo("cover.jpg", b"cover", PhotoStatus::Ready).await;
    let (status, landing) = g.h.send(g.req("landing")).await;
    assert_eq!(status, 200, "{landing}");
    assert_eq!(landing["name"], "Wedding 2026");
    assert!(landing["expires_at"].is_string());
    assert!(landing.get("cover_thumb_url").is_none(), "{landing}");

    g.patch_event(json!({"cover_photo_id": cover})).await;
    let (_, landing) = g.h.send(g.req("landing")).await;
    let url = landing["cover_thumb_url"].as_str().expect("cover");
    assert!(url.contains(&cover), "{url}");

    let unknown = g.req("landing").path_to("/api/g/nobody/wedding-2026");
    let (status, body) = g.h.send(unknown).await;
    assert_error(status, &body, 404, "gallery_not_found");
    let unknown = g.req("landing").path_to("/api/g/anna/no-such-event");
    let (status, body) = g.h.send(unknown).await;
    assert_error(status, &body, 404, "gallery_not_found");
}

#[tokio::test]
async fn wrong_revoked_and_expired_codes_are_told_apart() {
    let g = Gallery::start(Storage::Fs).await;
    let (code, code_id) = g.code(json!({"label": "Soon", "all": true})).await;
    for wrong in ["ZZZZ-ZZZZ-ZZZZ", "not a code", "", &"9".repeat(1000)] {
        let (status, body) = g.unlock(wrong, "192.0.2.50").await;
        assert_error(status, &body, 401, "wrong_code");
    }
    let token = g.token(&code).await;

    // Revoked: the token stops working on its very next request; the code is refused.
    g.change_code(&code_id, "DELETE", None).await;
    for req in [
        g.req("list_photos").bearer(&token),
        g.download(&shared::domain::PhotoId::generate().to_string(), &token),
    ] {
        let (status, body) = g.h.send(req).await;
        assert_error(status, &body, 410, "code_revoked");
    }
    let (status, body) = g.unlock(&code, "192.0.2.51").await;
    assert_error(status, &body, 410, "code_revoked");

    // A code with its own expiry: refused once past it, and its tokens too.
    let (expiring, expiring_id) = g
        .code(json!({"label": "Short", "all": true, "expires_at": "2099-01-01T00:00:00Z"}))
        .await;
    let token = g.token(&expiring).await;
    let row_key = expiring_id.clone();
    let event_id = shared::domain::EventId::parse(&g.event_id).expect("id");
    let mut row =
        g.h.deps
            .catalog
            .get_code(event_id, &row_key)
            .await
            .expect("row");
    row.valid_until = Some(shared::domain::Timestamp::now().plus_secs(-1));
    g.h.deps
        .catalog
        .update_code(&row)
        .await
        .expect("expire the code");
    let (status, body) = g.h.send(g.req("list_photos").bearer(&token)).await;
    assert_error(status, &body, 410, "code_expired");
    let (status, body) = g.unlock(&expiring, "192.0.2.52").await;
    assert_error(status, &body, 410, "code_expired");
}

#[tokio::test]
async fn an_expired_event_answers_410_on_every_viewer_route() {
    let g = Gallery::start(Storage::Fs).await;
    let photo = g.photo("a.jpg", b"a", PhotoStatus::Ready).await;
    let (code, _) = g.code(json!({"label": "All", "all": true})).await;
    let token = g.token(&code).await;
    let (status, asked) =
        g.h.send(
            g.req("request_archive")
                .bearer(&token)
                .json(json!({"all": true})),
        )
        .await;
    assert_eq!(status, 202, "{asked}");
    let archive_id = asked["archive_id"].as_str().expect("archive_id").to_owned();
    g.patch_event(json!({"expires_at": "2020-01-01T00:00:00Z"}))
        .await;
    for req in [
        g.req("landing"),
        g.req("unlock").json(json!({ "code": code })),
        g.req("list_photos").bearer(&token),
        g.download(&photo, &token),
        g.req("request_archive")
            .bearer(&token)
            .json(json!({"all": true})),
        g.req("archive_status")
            .path_replace("01JDQ0ARCH1VE0000000000000", &archive_id)
            .bearer(&token),
        g.req("list_photos").no_bearer(),
    ] {
        let (status, body) = g.h.send(req).await;
        assert_error(status, &body, 410, "gallery_expired");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("2020-01-01"),
            "the expiry time is shown: {message}"
        );
    }
}

#[tokio::test]
async fn viewer_and_photographer_tokens_are_not_interchangeable() {
    let g = Gallery::start(Storage::Fs).await;
    let (code, _) = g.code(json!({"label": "All", "all": true})).await;
    let token = g.token(&code).await;

    // A viewer token on a photographer route: no JWT claims, 401.
    let (status, body) =
        g.h.send(
            ev("list_events")
                .anonymous()
                .header("authorization", &format!("Bearer {token}")),
        )
        .await;
    assert_error(status, &body, 401, "unauthorized");

    // A photographer's JWT (or anything else) on a viewer route: 401.
    for bearer in ["eyJraWQiOiJleGFtcGxlIn0.e30.c2ln", "pv1.garbage", ""] {
        let (status, body) = g.h.send(g.req("list_photos").bearer(bearer)).await;
        assert_eq!(status, 401, "{bearer}: {body}");
    }
    let (status, body) = g.h.send(g.req("list_photos").no_bearer()).await;
    assert_error(status, &body, 401, "unauthorized");

    // A token of another gallery (the same photographer's other event) does not open this one.
    let party = testkit::api_flows::create_event(&g.h, &g.anna, "Party").await;
    let (status, made) =
        g.h.send(
            ev("create_code")
                .as_user(&g.anna)
                .ids(Some(&party), None)
                .json(json!({"label": "All", "all": true})),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let party_base = "/api/g/anna/party";
    let (status, body) =
        g.h.send(
            ApiRequest::sample(Function::Gallery, "unlock")
                .path_to(&format!("{party_base}/unlock"))
                .json(json!({"code": made["code"]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let party_token = body["token"].as_str().expect("token");
    let (status, body): (u16, Value) = g.h.send(g.req("list_photos").bearer(party_token)).await;
    assert_error(status, &body, 401, "invalid_token");
    let _ = token;
}
