//! Events: rows, public paths and tombstones, versioned updates, deletes, and the
//! reaper's list of expired events.

use std::collections::HashSet;

use shared::Error;
use shared::domain::{EventId, PageRequest, PhotoId, TOMBSTONE_SECS, Watermark, WatermarkSource};
use shared::ports::{Catalog, PhotoQuery};

use super::builders::*;
use super::checks::*;

/// An event reads back exactly as written, watermark and all.
pub async fn event_round_trips(catalog: &dyn Catalog) {
    let mut event = live_event(&owner());
    event.cover_photo_id = Some(PhotoId::generate());
    event.watermark = Some(Watermark {
        source: WatermarkSource::Text {
            text: "© Anna Photo".to_owned(),
        },
        position: shared::domain::Gravity::SouthEast,
        opacity: 0.5,
        scale: 0.25,
    });
    insert_event(catalog, &event).await;
    assert_eq!(catalog.get_event(event.event_id).await.expect("get"), event);
    expect_err!(catalog.insert_event(&event).await, Conflict);
}

/// An unknown event is `NotFound`.
pub async fn missing_event_is_not_found(catalog: &dyn Catalog) {
    expect_err!(catalog.get_event(EventId::generate()).await, NotFound);
}

/// An event past its `expires_at` answers `Expired`, even though its row remains.
pub async fn expired_event_answers_expired(catalog: &dyn Catalog) {
    let event = new_event(&owner(), "gone", now().plus_secs(-2 * DAY), past());
    insert_event(catalog, &event).await;
    expect_err!(catalog.get_event(event.event_id).await, Expired);
}

/// The owner's live events come newest first, each once across pages; expired events and
/// other owners' events are not listed.
pub async fn events_by_owner_newest_first_across_pages_without_expired_or_foreign(
    catalog: &dyn Catalog,
) {
    let me = owner();
    let someone_else = owner();
    let base = now().plus_secs(-10 * DAY);
    let mut live = Vec::new();
    for i in 0..7 {
        // Two events share each creation second, so ties must be ordered too.
        let created = base.plus_secs((i / 2) * 60);
        let event = new_event(&me, &format!("live-{i}"), created, future());
        insert_event(catalog, &event).await;
        live.push(event);
        if i % 3 == 0 {
            let expired = new_event(&me, &format!("expired-{i}"), created, past());
            insert_event(catalog, &expired).await;
        }
    }
    insert_event(catalog, &live_event(&someone_else)).await;

    let got = collect_pages(3, Pages::MayBeShort, |page| {
        let me = me.clone();
        async move { catalog.list_events_by_owner(&me, &page).await }
    })
    .await;
    let got_ids = ids(&got, |e| e.event_id);
    let mut expected = live.clone();
    expected.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then(b.event_id.cmp(&a.event_id))
    });
    let newest_first: Vec<_> = got.iter().map(|e| e.created_at).collect();
    assert!(
        newest_first.windows(2).all(|w| w[0] >= w[1]),
        "not newest first"
    );
    let unique: HashSet<_> = got_ids.iter().collect();
    assert_eq!(unique.len(), got_ids.len(), "an event was listed twice");
    let expected_set: HashSet<_> = expected.iter().map(|e| e.event_id).collect();
    assert_eq!(unique, expected_set.iter().collect(), "wrong set of events");
    assert!(got.iter().all(|e| e.owner_id == me));

    let empty = catalog
        .list_events_by_owner(&owner(), &PageRequest::first(10))
        .await
        .expect("list of a new owner");
    assert!(empty.items.is_empty() && empty.next.is_none());
}

/// An owner cannot have two events with one slug; another owner may use it.
pub async fn slug_is_unique_per_owner_but_reusable_by_another_owner(catalog: &dyn Catalog) {
    let me = owner();
    let first = live_event(&me);
    insert_event(catalog, &first).await;
    let second = new_event(&me, &first.slug, now(), future());
    let err = expect_err!(catalog.insert_event(&second).await, Conflict);
    assert_eq!(err.code(), "slug_taken");
    expect_err!(catalog.get_event(second.event_id).await, NotFound);

    let theirs = new_event(&owner(), &first.slug, now(), future());
    insert_event(catalog, &theirs).await;
    assert_eq!(
        catalog
            .find_event_by_path(&me, &first.slug)
            .await
            .expect("mine")
            .event_id,
        first.event_id
    );
    assert_eq!(
        catalog
            .find_event_by_path(&theirs.owner_id, &first.slug)
            .await
            .expect("theirs")
            .event_id,
        theirs.event_id
    );
}

/// The public path of a live event leads to it.
pub async fn find_event_by_path_finds_the_live_event(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    assert_eq!(
        catalog
            .find_event_by_path(&event.owner_id, &event.slug)
            .await
            .expect("found"),
        event
    );
}

/// A path never claimed is `NotFound`, for a known and an unknown owner.
pub async fn find_event_by_path_of_unknown_path_is_not_found(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    expect_err!(
        catalog
            .find_event_by_path(&event.owner_id, "never-claimed")
            .await,
        NotFound
    );
    expect_err!(
        catalog.find_event_by_path(&owner(), &event.slug).await,
        NotFound
    );
}

/// The path of an expired event whose row remains finds it, expiry and all (the gallery
/// says when it expired); once tombstoned, the path answers `Expired` saying when.
pub async fn find_event_by_path_of_expired_event_finds_it_then_its_tombstone(
    catalog: &dyn Catalog,
) {
    let event = new_event(&owner(), "old-party", now().plus_secs(-DAY), past());
    insert_event(catalog, &event).await;
    let found = catalog
        .find_event_by_path(&event.owner_id, &event.slug)
        .await
        .expect("the expired event");
    assert_eq!(found.event_id, event.event_id);
    assert!(found.is_expired(now()));
    let tombstone_until = event.expires_at.plus_secs(TOMBSTONE_SECS);
    catalog
        .delete_event(&event, Some(tombstone_until))
        .await
        .expect("reaped");
    match catalog
        .find_event_by_path(&event.owner_id, &event.slug)
        .await
    {
        Err(Error::Expired { message, .. }) => assert!(
            message.contains(&event.expires_at.to_rfc3339()),
            "says when: {message}"
        ),
        other => panic!("expected Expired, got {other:?}"),
    }
}

/// Deleting with a tombstone keeps the path answering `Expired` and the slug claimed.
pub async fn tombstone_answers_expired_and_keeps_the_slug_taken(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    catalog
        .delete_event(&event, Some(future()))
        .await
        .expect("delete with tombstone");
    expect_err!(catalog.get_event(event.event_id).await, NotFound);
    expect_err!(
        catalog
            .find_event_by_path(&event.owner_id, &event.slug)
            .await,
        Expired
    );
    let again = new_event(&event.owner_id, &event.slug, now(), future());
    let err = expect_err!(catalog.insert_event(&again).await, Conflict);
    assert_eq!(err.code(), "slug_taken");
}

/// Deleting without a tombstone frees the slug: the path is unknown and can be claimed.
pub async fn slug_is_free_again_after_delete_without_tombstone(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    catalog.delete_event(&event, None).await.expect("delete");
    expect_err!(catalog.get_event(event.event_id).await, NotFound);
    expect_err!(
        catalog
            .find_event_by_path(&event.owner_id, &event.slug)
            .await,
        NotFound
    );
    let again = new_event(&event.owner_id, &event.slug, now(), future());
    insert_event(catalog, &again).await;
    assert_eq!(
        catalog
            .find_event_by_path(&event.owner_id, &event.slug)
            .await
            .expect("new event at the old path")
            .event_id,
        again.event_id
    );
}

/// An event whose row is already gone (DynamoDB's TTL removed it; the reaper has it from
/// the stream) still gets its tombstone, unless another event holds its path by then.
pub async fn tombstone_is_kept_for_an_event_whose_row_is_gone(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    catalog
        .delete_event(&event, None)
        .await
        .expect("the row goes first");
    catalog
        .delete_event(&event, Some(future()))
        .await
        .expect("then the reaper's tombstone");
    expect_err!(
        catalog
            .find_event_by_path(&event.owner_id, &event.slug)
            .await,
        Expired
    );

    let gone = insert_live_event(catalog).await;
    catalog.delete_event(&gone, None).await.expect("delete");
    let successor = new_event(&gone.owner_id, &gone.slug, now(), future());
    insert_event(catalog, &successor).await;
    catalog
        .delete_event(&gone, Some(future()))
        .await
        .expect("a late tombstone of the old event");
    assert_eq!(
        catalog
            .find_event_by_path(&gone.owner_id, &gone.slug)
            .await
            .expect("the successor keeps its path")
            .event_id,
        successor.event_id
    );
}

/// A tombstone whose time has passed no longer holds the slug.
pub async fn slug_is_free_again_once_the_tombstone_has_passed(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    catalog
        .delete_event(&event, Some(past()))
        .await
        .expect("delete with a past tombstone");
    expect_err!(
        catalog
            .find_event_by_path(&event.owner_id, &event.slug)
            .await,
        NotFound
    );
    let again = new_event(&event.owner_id, &event.slug, now(), future());
    insert_event(catalog, &again).await;
    assert_eq!(
        catalog
            .find_event_by_path(&event.owner_id, &event.slug)
            .await
            .expect("reclaimed")
            .event_id,
        again.event_id
    );
}

/// An update with the current version replaces the mutable fields, bumps the version and
/// leaves slug, owner and photo count alone.
pub async fn update_event_with_fresh_version_increments_it(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    catalog
        .add_photo_count(event.event_id, 3, 100)
        .await
        .expect("count");
    let mut change = event.clone();
    change.name = "Renamed".to_owned();
    change.expires_at = future().plus_secs(DAY);
    change.cover_photo_id = Some(PhotoId::generate());
    change.watermark = Some(Watermark {
        source: WatermarkSource::Image {
            image_photo_id: PhotoId::generate(),
        },
        position: shared::domain::Gravity::North,
        opacity: 1.0,
        scale: 0.1,
    });
    // Fields the update must not touch.
    change.slug = "sneaky-slug".to_owned();
    change.photo_count = 999;

    let updated = catalog.update_event(&change).await.expect("update");
    assert_eq!(updated.version, event.version + 1);
    assert_eq!(updated.name, "Renamed");
    assert_eq!(updated.expires_at, change.expires_at);
    assert_eq!(updated.cover_photo_id, change.cover_photo_id);
    assert_eq!(updated.watermark, change.watermark);
    assert_eq!(updated.slug, event.slug);
    assert_eq!(updated.owner_id, event.owner_id);
    assert_eq!(updated.photo_count, 3);
    assert_eq!(
        catalog.get_event(event.event_id).await.expect("get"),
        updated
    );

    let again = catalog.update_event(&updated).await.expect("second update");
    assert_eq!(again.version, event.version + 2);
}

/// An update carrying an old version is `Conflict` and changes nothing.
pub async fn update_event_with_stale_version_conflicts(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let mut first = event.clone();
    first.name = "First".to_owned();
    catalog.update_event(&first).await.expect("first writer");
    let mut stale = event.clone();
    stale.name = "Stale".to_owned();
    expect_err!(catalog.update_event(&stale).await, Conflict);
    let stored = catalog.get_event(event.event_id).await.expect("get");
    assert_eq!(stored.name, "First");
    assert_eq!(stored.version, event.version + 1);
}

/// Updating an event that does not exist is `NotFound` and does not create it.
pub async fn update_of_missing_event_is_not_found(catalog: &dyn Catalog) {
    let event = live_event(&owner());
    expect_err!(catalog.update_event(&event).await, NotFound);
    expect_err!(catalog.get_event(event.event_id).await, NotFound);
}

/// Deleting an event removes its photos, codes and jobs, and nothing of another event.
pub async fn delete_event_removes_photos_codes_and_jobs(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let other = insert_live_event(catalog).await;
    let photos = photos_of(&event, 5);
    catalog.insert_photos(&photos).await.expect("photos");
    let code = new_code(&event, 1, now());
    catalog.insert_code(&code).await.expect("code");
    let job = new_job(&event);
    catalog.insert_job(&job).await.expect("job");
    let other_photo = new_photo(&other, 1);
    catalog
        .insert_photos(std::slice::from_ref(&other_photo))
        .await
        .expect("other photo");
    let other_code = new_code(&other, 1, now());
    catalog.insert_code(&other_code).await.expect("other code");
    let other_job = new_job(&other);
    catalog.insert_job(&other_job).await.expect("other job");

    catalog.delete_event(&event, None).await.expect("delete");

    expect_err!(catalog.get_event(event.event_id).await, NotFound);
    for photo in &photos {
        expect_err!(
            catalog.get_photo(event.event_id, photo.photo_id).await,
            NotFound
        );
    }
    let listed = catalog
        .list_photos(
            event.event_id,
            &PhotoQuery::default(),
            &PageRequest::first(50),
        )
        .await
        .expect("list");
    assert!(listed.items.is_empty());
    let found = catalog
        .find_photos_by_sha256(event.event_id, &[sha_of(1)])
        .await
        .expect("by sha");
    assert!(found.is_empty());
    expect_err!(
        catalog.get_code(event.event_id, &code.code_key).await,
        NotFound
    );
    let codes = catalog
        .list_codes(event.event_id, &PageRequest::first(50))
        .await
        .expect("codes");
    assert!(codes.items.is_empty());
    expect_err!(catalog.get_job(event.event_id, job.job_id).await, NotFound);

    assert_eq!(
        catalog
            .get_photo(other.event_id, other_photo.photo_id)
            .await
            .expect("other photo stays"),
        other_photo
    );
    catalog
        .get_code(other.event_id, &other_code.code_key)
        .await
        .expect("other code stays");
    catalog
        .get_job(other.event_id, other_job.job_id)
        .await
        .expect("other job stays");
    catalog
        .get_event(other.event_id)
        .await
        .expect("other event stays");
}

/// Deleting an event that does not exist succeeds (twice, too).
pub async fn delete_of_missing_event_is_not_an_error(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let never_stored = new_event(&event.owner_id, "never-stored", now(), future());
    catalog
        .delete_event(&never_stored, None)
        .await
        .expect("missing");
    catalog.delete_event(&event, None).await.expect("delete");
    catalog
        .delete_event(&event, None)
        .await
        .expect("delete again");
}

/// The reaper's list holds every expired event exactly once across pages, and no live one.
pub async fn list_expired_events_pages_through_expired_events_only(catalog: &dyn Catalog) {
    let me = owner();
    let mut expired = HashSet::new();
    for i in 0..7 {
        let event = new_event(
            &me,
            &format!("old-{i}"),
            now().plus_secs(-3 * DAY),
            now().plus_secs(-DAY + i * 60),
        );
        insert_event(catalog, &event).await;
        expired.insert(event.event_id);
    }
    let live = insert_live_event(catalog).await;
    let got = collect_pages(3, Pages::MayBeShort, |page| async move {
        catalog.list_expired_events(now(), &page).await
    })
    .await;
    let got_ids = ids(&got, |e| e.event_id);
    let unique: HashSet<_> = got_ids.iter().copied().collect();
    assert_eq!(unique.len(), got_ids.len(), "an event was listed twice");
    assert!(
        expired.is_subset(&unique),
        "an expired event is missing from the reaper's list"
    );
    assert!(!unique.contains(&live.event_id), "a live event was listed");
    let cutoff = now();
    assert!(got.iter().all(|e| e.expires_at.has_passed(cutoff)));

    // At an earlier `now` the same events are not yet expired.
    let earlier = collect_pages(50, Pages::MayBeShort, |page| async move {
        catalog
            .list_expired_events(now().plus_secs(-2 * DAY), &page)
            .await
    })
    .await;
    assert!(earlier.iter().all(|e| !expired.contains(&e.event_id)));
}
