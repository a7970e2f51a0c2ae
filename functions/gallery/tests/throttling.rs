//! Unlock throttling (API.md "Throttling unlock"): wrong codes lock an address out, right
//! codes never do, an event flooded with wrong codes refuses addresses that failed before,
//! IPv6 clients count by their /64, and the count is atomic under concurrency.

mod support;

use serde_json::json;
use shared::services::{ApiLimits, UnlockLimits};
use support::Gallery;
use testkit::api::Storage;
use testkit::api_flows::assert_error;

fn short_windows(per_event: u64) -> ApiLimits {
    ApiLimits {
        unlock: UnlockLimits {
            per_address: 10,
            address_window_secs: 3,
            lockout_secs: 3,
            per_event,
            event_window_secs: 3,
        },
        ..ApiLimits::default()
    }
}

#[tokio::test]
async fn ten_wrong_codes_lock_the_address_out_even_for_the_right_code_until_the_window_passes() {
    let g = Gallery::start_with(Storage::Fs, short_windows(1_000)).await;
    let (code, _) = g.code(json!({"label": "All", "all": true})).await;
    let guesser = "203.0.113.9";
    for attempt in 1..=9 {
        let (status, body) = g.unlock("AAAA-AAAA-AAAA", guesser).await;
        assert_error(status, &body, 401, "wrong_code");
        assert!(attempt < 10);
    }
    let (status, body) = g.unlock("AAAA-AAAA-AAAA", guesser).await;
    assert_error(status, &body, 429, "throttled");

    // Locked out: the right code is refused from there, with Retry-After, and served
    // from anywhere else.
    let response =
        g.h.call(
            testkit::api::Function::Gallery,
            g.req("unlock")
                .from_ip(guesser)
                .json(json!({ "code": code }))
                .build(),
        )
        .await;
    assert_eq!(response.0, 429, "{}", response.1);
    let raw = shared::http::handle::<shared::http::gallery_api::GalleryApi>(
        &g.h.deps,
        g.req("unlock")
            .from_ip(guesser)
            .json(json!({ "code": code }))
            .build(),
    )
    .await;
    let retry_after: u64 = raw
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=3).contains(&retry_after), "{retry_after}");
    let (status, body) = g.unlock(&code, "203.0.113.10").await;
    assert_eq!(status, 200, "another address: {body}");

    // Service resumes after the window.
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let (status, body) = g.unlock(&code, guesser).await;
    assert_eq!(status, 200, "after the lockout: {body}");
}

#[tokio::test]
async fn guests_behind_one_venue_address_who_type_right_are_never_locked_out() {
    let g = Gallery::start(Storage::Fs).await;
    let (code, _) = g.code(json!({"label": "All", "all": true})).await;
    let venue = "198.51.100.1";
    for guest in 0..40 {
        // A few typos among them, never ten.
        if guest % 8 == 0 {
            let (status, _) = g.unlock("BBBB-BBBB-BBBB", venue).await;
            assert_eq!(status, 401, "guest {guest}'s typo");
        }
        let (status, body) = g.unlock(&code, venue).await;
        assert_eq!(status, 200, "guest {guest}: {body}");
    }
}

#[tokio::test]
async fn thirty_two_concurrent_wrong_codes_get_at_most_ten_evaluated() {
    let g = Gallery::start(Storage::Fs).await;
    g.code(json!({"label": "All", "all": true})).await;
    let attempts = (0..32).map(|_| g.unlock("CCCC-CCCC-CCCC", "203.0.113.77"));
    let statuses: Vec<u16> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect();
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().filter(|s| **s == 401).count() <= 9,
        "{statuses:?}"
    );
    // The event's count of evaluated wrong codes: never past the address's limit.
    let event_id = shared::domain::EventId::parse(&g.event_id).expect("id");
    let evaluated =
        g.h.deps
            .catalog
            .get_counter(&format!("unlock/{event_id}/wrong"))
            .await
            .expect("counter");
    assert!(
        (1..=10).contains(&evaluated),
        "{evaluated} wrong codes were looked up"
    );
}

#[tokio::test]
async fn ipv6_clients_are_counted_by_their_64() {
    let g = Gallery::start(Storage::Fs).await;
    let (code, _) = g.code(json!({"label": "All", "all": true})).await;
    for i in 1..=10 {
        // A client rotating through its /64 is still one client.
        let (status, _) = g
            .unlock("DDDD-DDDD-DDDD", &format!("2001:db8:1:2::{i:x}"))
            .await;
        assert!(status == 401 || status == 429, "{status}");
    }
    let (status, _) = g.unlock(&code, "2001:db8:1:2:ffff::1").await;
    assert_eq!(status, 429, "the /64 is locked out");
    let (status, body) = g.unlock(&code, "2001:db8:1:3::1").await;
    assert_eq!(status, 200, "the next /64 is not: {body}");
}

#[tokio::test]
async fn a_flooded_event_refuses_addresses_that_failed_but_not_new_ones() {
    let g = Gallery::start_with(Storage::Fs, short_windows(5)).await;
    let (code, _) = g.code(json!({"label": "All", "all": true})).await;
    for i in 1..=5 {
        let (status, _) = g.unlock("EEEE-EEEE-EEEE", &format!("203.0.113.{i}")).await;
        assert_eq!(status, 401);
    }
    // 203.0.113.1 failed before: refused even with the right code while the flood lasts.
    let (status, body) = g.unlock(&code, "203.0.113.1").await;
    assert_error(status, &body, 429, "throttled");
    // A guest who never failed gets in.
    let (status, body) = g.unlock(&code, "203.0.113.200").await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn the_client_address_is_the_connections_not_a_header_the_client_writes() {
    let g = Gallery::start(Storage::Fs).await;
    let (code, _) = g.code(json!({"label": "All", "all": true})).await;
    for i in 1..=10 {
        // Changing X-Forwarded-For or CloudFront-Viewer-Address does not make a new client
        // when the deployment is not behind CloudFront.
        let req = g
            .req("unlock")
            .from_ip("203.0.113.99")
            .header("x-forwarded-for", &format!("10.0.0.{i}"))
            .header("cloudfront-viewer-address", &format!("10.0.1.{i}:4444"))
            .json(json!({"code": "FFFF-FFFF-FFFF"}));
        let (status, _) = g.h.send(req).await;
        assert!(status == 401 || status == 429, "{status}");
    }
    let (status, _) = g.unlock(&code, "203.0.113.99").await;
    assert_eq!(status, 429);

    // Behind CloudFront the header names the client (sourceIp is CloudFront's).
    let mut behind = Gallery::start(Storage::Fs).await;
    behind.h.deps.behind_cloudfront = true;
    let (code, _) = behind.code(json!({"label": "All", "all": true})).await;
    for i in 1..=10 {
        let req = behind
            .req("unlock")
            .from_ip("130.176.0.1")
            .header("cloudfront-viewer-address", &format!("203.0.113.{i}:4444"))
            .json(json!({"code": "FFFF-FFFF-FFFF"}));
        let (status, _) = behind.h.send(req).await;
        assert_eq!(status, 401, "each viewer is its own address");
    }
    let req = behind
        .req("unlock")
        .from_ip("130.176.0.1")
        .header("cloudfront-viewer-address", "203.0.113.250:4444")
        .json(json!({ "code": code }));
    let (status, body) = behind.h.send(req).await;
    assert_eq!(status, 200, "{body}");
}
