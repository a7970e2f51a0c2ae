//! The event's photo counter: bounded additions, and photo deletes that give their place
//! back exactly once.

use shared::domain::{EventId, PhotoId};
use shared::ports::Catalog;

use super::builders::*;
use super::checks::*;

/// The photo counter moves by `delta` and reports the new count; reaching the limit is fine.
pub async fn add_photo_count_adds_and_subtracts_within_bounds(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    assert_eq!(
        catalog
            .add_photo_count(event.event_id, 7, 10)
            .await
            .expect("add"),
        7
    );
    assert_eq!(
        catalog
            .add_photo_count(event.event_id, 3, 10)
            .await
            .expect("up to the limit"),
        10
    );
    assert_eq!(
        catalog
            .add_photo_count(event.event_id, -4, 10)
            .await
            .expect("subtract"),
        6
    );
    let stored = catalog.get_event(event.event_id).await.expect("get");
    assert_eq!(stored.photo_count, 6);
    assert_eq!(
        stored.version, event.version,
        "counting photos must not make concurrent event edits conflict"
    );
}

/// Going over the limit is `TooLarge` (`event_photo_limit`) and leaves the count alone.
pub async fn add_photo_count_over_limit_is_too_large_and_unchanged(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    catalog
        .add_photo_count(event.event_id, 8, 10)
        .await
        .expect("add");
    let err = expect_err!(
        catalog.add_photo_count(event.event_id, 3, 10).await,
        TooLarge
    );
    assert_eq!(err.code(), "event_photo_limit");
    assert_eq!(
        catalog
            .get_event(event.event_id)
            .await
            .expect("get")
            .photo_count,
        8
    );
}

/// Going below zero fails and leaves the count alone.
pub async fn add_photo_count_below_zero_fails_and_is_unchanged(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    catalog
        .add_photo_count(event.event_id, 2, 10)
        .await
        .expect("add");
    assert!(
        catalog
            .add_photo_count(event.event_id, -3, 10)
            .await
            .is_err(),
        "count went below zero"
    );
    assert_eq!(
        catalog
            .get_event(event.event_id)
            .await
            .expect("get")
            .photo_count,
        2
    );
}

/// Counting photos of an unknown event is `NotFound` and creates nothing.
pub async fn add_photo_count_of_missing_event_is_not_found(catalog: &dyn Catalog) {
    let id = EventId::generate();
    expect_err!(catalog.add_photo_count(id, 1, 10).await, NotFound);
    expect_err!(catalog.get_event(id).await, NotFound);
}

/// The event's photo count.
async fn photo_count(catalog: &dyn Catalog, event_id: EventId) -> u64 {
    catalog
        .get_event(event_id)
        .await
        .expect("get event")
        .photo_count
}

/// GIVEN an event counting 3 photos
/// WHEN one photo is deleted by 8 callers at once (a DELETE racing an abort of its upload,
/// and retries)
/// THEN exactly one call deletes it and the count drops by exactly one; deleting it again
/// changes nothing, so the event can never hold more photos than its limit.
pub async fn concurrent_deletes_of_one_photo_give_its_count_back_once(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photos = photos_of(&event, 3);
    catalog.insert_photos(&photos).await.expect("photos");
    catalog
        .add_photo_count(event.event_id, 3, 10)
        .await
        .expect("count");

    let target = photos[0].photo_id;
    let outcomes =
        futures::future::join_all((0..8).map(|_| catalog.delete_photo(event.event_id, target)))
            .await;
    let deleted = outcomes
        .into_iter()
        .map(|outcome| outcome.expect("delete"))
        .filter(|deleted| *deleted)
        .count();
    assert_eq!(deleted, 1, "calls that say they deleted the photo");
    assert_eq!(photo_count(catalog, event.event_id).await, 2);
    expect_err!(catalog.get_photo(event.event_id, target).await, NotFound);

    assert!(
        !catalog
            .delete_photo(event.event_id, target)
            .await
            .expect("delete again"),
        "a deleted photo is not deleted twice"
    );
    assert_eq!(photo_count(catalog, event.event_id).await, 2);

    assert!(
        catalog
            .delete_photo(event.event_id, photos[1].photo_id)
            .await
            .expect("delete another")
    );
    assert_eq!(photo_count(catalog, event.event_id).await, 1);
    catalog
        .get_photo(event.event_id, photos[2].photo_id)
        .await
        .expect("the third photo stays");
}

/// Deleting an unknown or expired photo changes nothing and says so.
pub async fn deleting_a_missing_or_expired_photo_changes_nothing(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let mut expired = new_photo(&event, 1);
    expired.expires_at = past();
    catalog
        .insert_photos(std::slice::from_ref(&expired))
        .await
        .expect("photo");
    catalog
        .add_photo_count(event.event_id, 1, 10)
        .await
        .expect("count");
    for photo_id in [expired.photo_id, PhotoId::generate()] {
        assert!(
            !catalog
                .delete_photo(event.event_id, photo_id)
                .await
                .expect("delete")
        );
    }
    assert_eq!(photo_count(catalog, event.event_id).await, 1);
}

/// A count already at zero (photos registered without counting) or an event row that is
/// gone does not keep a photo from being deleted; the count stays as it is.
pub async fn a_photo_is_deleted_even_when_there_is_no_count_to_give_back(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let counted_nowhere = new_photo(&event, 1);
    let never_inserted = live_event(&owner());
    let orphan = new_photo(&never_inserted, 2);
    catalog
        .insert_photos(&[counted_nowhere.clone(), orphan.clone()])
        .await
        .expect("photos");

    assert!(
        catalog
            .delete_photo(event.event_id, counted_nowhere.photo_id)
            .await
            .expect("delete")
    );
    expect_err!(
        catalog
            .get_photo(event.event_id, counted_nowhere.photo_id)
            .await,
        NotFound
    );
    assert_eq!(photo_count(catalog, event.event_id).await, 0);

    assert!(
        catalog
            .delete_photo(never_inserted.event_id, orphan.photo_id)
            .await
            .expect("delete the orphan")
    );
    expect_err!(
        catalog
            .get_photo(never_inserted.event_id, orphan.photo_id)
            .await,
        NotFound
    );
    expect_err!(catalog.get_event(never_inserted.event_id).await, NotFound);
}
