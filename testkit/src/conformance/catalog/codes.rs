//! Access codes: round trips (the largest grant too), uniqueness per event, expiry, listing
//! and versioned updates.

use std::collections::HashSet;

use shared::domain::{Grant, MAX_GRANT_PHOTOS, PageRequest, PhotoId};
use shared::ports::Catalog;

use super::builders::*;
use super::checks::*;

/// A code reads back exactly as written.
pub async fn code_round_trips(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let mut code = new_code(&event, 1, now());
    code.grant = Grant::photos(vec![PhotoId::generate(), PhotoId::generate()]).expect("grant");
    code.valid_until = Some(future());
    catalog.insert_code(&code).await.expect("insert");
    assert_eq!(
        catalog
            .get_code(event.event_id, &code.code_key)
            .await
            .expect("get"),
        code
    );
    // Codes live under their event only.
    let other = insert_live_event(catalog).await;
    expect_err!(
        catalog.get_code(other.event_id, &code.code_key).await,
        NotFound
    );
}

/// A second code with the same key in the same event is `Conflict` (`code_exists`); the same
/// key in another event is fine.
pub async fn duplicate_code_conflicts(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let code = new_code(&event, 1, now());
    catalog.insert_code(&code).await.expect("insert");
    let mut dup = code.clone();
    dup.label = "Impostor".to_owned();
    let err = expect_err!(catalog.insert_code(&dup).await, Conflict);
    assert_eq!(err.code(), "code_exists");
    assert_eq!(
        catalog
            .get_code(event.event_id, &code.code_key)
            .await
            .expect("get")
            .label,
        code.label
    );
    let other = insert_live_event(catalog).await;
    let mut elsewhere = code.clone();
    elsewhere.event_id = other.event_id;
    catalog
        .insert_code(&elsewhere)
        .await
        .expect("same key, other event");
}

/// Unknown codes and code rows past their `expires_at` are `NotFound`; revoked and
/// past-`valid_until` codes are still returned.
pub async fn missing_or_expired_code_is_not_found(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    expect_err!(
        catalog.get_code(event.event_id, &"f".repeat(64)).await,
        NotFound
    );
    let mut expired_row = new_code(&event, 1, now());
    expired_row.expires_at = past();
    catalog.insert_code(&expired_row).await.expect("insert");
    expect_err!(
        catalog
            .get_code(event.event_id, &expired_row.code_key)
            .await,
        NotFound
    );
    let mut lapsed = new_code(&event, 2, now());
    lapsed.valid_until = Some(past());
    lapsed.revoked_at = Some(past());
    catalog.insert_code(&lapsed).await.expect("insert lapsed");
    assert_eq!(
        catalog
            .get_code(event.event_id, &lapsed.code_key)
            .await
            .expect("lapsed and revoked codes are still returned"),
        lapsed
    );
    let listed = catalog
        .list_codes(event.event_id, &PageRequest::first(10))
        .await
        .expect("list");
    assert_eq!(listed.items, vec![lapsed], "expired code row listed");
}

/// Codes come oldest first, each once across pages, revoked ones included.
pub async fn codes_listed_oldest_first_across_pages_revoked_included(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let base = now().plus_secs(-DAY);
    let mut codes = Vec::new();
    // Inserted out of order, with ties on created_at.
    for n in [4usize, 0, 6, 2, 1, 5, 3, 7, 8] {
        let mut code = new_code(&event, n, base.plus_secs((n / 2) as i64 * 60));
        if n % 3 == 0 {
            code.revoked_at = Some(now());
        }
        catalog.insert_code(&code).await.expect("insert");
        codes.push(code);
    }
    let other = insert_live_event(catalog).await;
    catalog
        .insert_code(&new_code(&other, 1, base))
        .await
        .expect("other event's code");

    let listed = collect_pages(2, Pages::Full, |page| async move {
        catalog.list_codes(event.event_id, &page).await
    })
    .await;
    assert_eq!(listed.len(), codes.len());
    let keys: HashSet<_> = listed.iter().map(|c| c.code_key.clone()).collect();
    assert_eq!(keys.len(), codes.len(), "a code was listed twice");
    assert!(
        listed
            .windows(2)
            .all(|w| w[0].created_at <= w[1].created_at),
        "codes not oldest first"
    );
    assert_eq!(listed.iter().filter(|c| c.revoked_at.is_some()).count(), 3);
    assert!(listed.iter().all(|c| c.event_id == event.event_id));
}

/// Code updates are conditional on `version`.
pub async fn update_code_is_conditional_on_version(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let code = new_code(&event, 1, now());
    catalog.insert_code(&code).await.expect("insert");
    let mut revoke = code.clone();
    revoke.revoked_at = Some(now());
    let updated = catalog.update_code(&revoke).await.expect("revoke");
    assert_eq!(updated.version, code.version + 1);
    assert_eq!(updated.revoked_at, revoke.revoked_at);
    assert_eq!(
        catalog
            .get_code(event.event_id, &code.code_key)
            .await
            .expect("get"),
        updated
    );
    let mut stale = code.clone();
    stale.label = "Stale".to_owned();
    expect_err!(catalog.update_code(&stale).await, Conflict);
    let mut relabel = updated.clone();
    relabel.label = "Renamed".to_owned();
    let again = catalog.update_code(&relabel).await.expect("fresh version");
    assert_eq!(again.version, code.version + 2);
    let ghost = new_code(&event, 99, now());
    expect_err!(catalog.update_code(&ghost).await, NotFound);
}

/// GIVEN four codes each granting [`MAX_GRANT_PHOTOS`] photos (every photo of a full event;
/// together more than one DynamoDB query page of 1 MB)
/// THEN each reads back and lists exactly as written, and updates (revoking, relabelling)
/// keep the grant whole.
pub async fn codes_granting_the_most_photos_round_trip(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let mut codes = Vec::new();
    for n in 0..4 {
        let ids: Vec<PhotoId> = (0..MAX_GRANT_PHOTOS).map(|_| PhotoId::generate()).collect();
        let mut code = new_code(&event, n, now().plus_secs(n as i64));
        code.grant = Grant::photos(ids.clone()).expect("a grant at the limit");
        catalog
            .insert_code(&code)
            .await
            .expect("insert a full grant");
        assert!(ids.iter().all(|id| code.grant.covers(*id)));
        codes.push(code);
    }
    for code in &codes {
        assert_eq!(
            &catalog
                .get_code(event.event_id, &code.code_key)
                .await
                .expect("get"),
            code
        );
    }
    let listed = collect_pages(10, Pages::Full, |page| async move {
        catalog.list_codes(event.event_id, &page).await
    })
    .await;
    assert_eq!(listed, codes);

    let mut revoke = codes[0].clone();
    revoke.revoked_at = Some(now());
    revoke.label = "Revoked".to_owned();
    let updated = catalog.update_code(&revoke).await.expect("update");
    assert_eq!(updated.version, codes[0].version + 1);
    assert_eq!(updated.grant, codes[0].grant);
    assert_eq!(
        catalog
            .get_code(event.event_id, &revoke.code_key)
            .await
            .expect("get updated"),
        updated
    );
}
