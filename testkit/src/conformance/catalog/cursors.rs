//! Cursors: a garbage, tampered or foreign cursor is `Malformed` on every list.

use shared::domain::{Cursor, PageRequest, PhotoStatus};
use shared::ports::{Catalog, PhotoQuery, PhotoSort};

use super::builders::*;
use super::checks::*;

/// Garbage and tampered cursors are `Malformed`, never a panic or a wrong page.
pub async fn tampered_cursor_is_malformed(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photos = photos_of(&event, 5);
    catalog.insert_photos(&photos).await.expect("insert");
    let query = PhotoQuery::default();
    let page = catalog
        .list_photos(event.event_id, &query, &PageRequest::first(2))
        .await
        .expect("page");
    let cursor = page.next.expect("more pages");
    let text = cursor.as_str();
    let half = &text[..text.len() / 2];
    let mut appended = text.to_owned();
    appended.push('!');
    for bad in [
        "",
        "garbage",
        "%%%",
        "eyJ9",
        half,
        appended.as_str(),
        &"A".repeat(5000),
    ] {
        let req = PageRequest::after(2, Cursor::from_client(bad));
        expect_err!(
            catalog.list_photos(event.event_id, &query, &req).await,
            Malformed
        );
        expect_err!(
            catalog.list_events_by_owner(&event.owner_id, &req).await,
            Malformed
        );
        expect_err!(catalog.list_codes(event.event_id, &req).await, Malformed);
        expect_err!(catalog.list_expired_events(now(), &req).await, Malformed);
    }
}

/// A cursor issued for one list is `Malformed` on another: another event, another order,
/// another filter, another kind of list, another owner.
pub async fn cursor_from_another_list_is_malformed(catalog: &dyn Catalog) {
    let a = insert_live_event(catalog).await;
    let b = insert_live_event(catalog).await;
    for event in [&a, &b] {
        let photos: Vec<_> = (0..4)
            .map(|n| with_taken(new_photo(event, n), Some(now())))
            .collect();
        catalog.insert_photos(&photos).await.expect("insert");
        for n in 0..3 {
            catalog
                .insert_code(&new_code(event, n, now()))
                .await
                .expect("code");
        }
    }
    let uploaded = PhotoQuery::default();
    let taken = PhotoQuery {
        status: None,
        sort: PhotoSort::Taken,
    };
    let ready = PhotoQuery {
        status: Some(PhotoStatus::Ready),
        sort: PhotoSort::Uploaded,
    };
    let photo_cursor = catalog
        .list_photos(a.event_id, &uploaded, &PageRequest::first(1))
        .await
        .expect("photos of a")
        .next
        .expect("more photos");
    let code_cursor = catalog
        .list_codes(a.event_id, &PageRequest::first(1))
        .await
        .expect("codes of a")
        .next
        .expect("more codes");

    let after_photo = PageRequest::after(1, photo_cursor.clone());
    expect_err!(
        catalog
            .list_photos(b.event_id, &uploaded, &after_photo)
            .await,
        Malformed
    );
    expect_err!(
        catalog.list_photos(a.event_id, &taken, &after_photo).await,
        Malformed
    );
    expect_err!(
        catalog.list_photos(a.event_id, &ready, &after_photo).await,
        Malformed
    );
    expect_err!(
        catalog.list_codes(a.event_id, &after_photo).await,
        Malformed
    );

    let after_code = PageRequest::after(1, code_cursor);
    expect_err!(catalog.list_codes(b.event_id, &after_code).await, Malformed);
    expect_err!(
        catalog
            .list_photos(a.event_id, &uploaded, &after_code)
            .await,
        Malformed
    );

    // Events of two owners.
    let me = owner();
    for i in 0..3 {
        insert_event(
            catalog,
            &new_event(&me, &format!("s-{i}"), now().plus_secs(-i), future()),
        )
        .await;
    }
    let event_cursor = catalog
        .list_events_by_owner(&me, &PageRequest::first(1))
        .await
        .expect("events")
        .next
        .expect("more events");
    let after_event = PageRequest::after(1, event_cursor);
    expect_err!(
        catalog.list_events_by_owner(&owner(), &after_event).await,
        Malformed
    );
    expect_err!(
        catalog
            .list_photos(a.event_id, &uploaded, &after_event)
            .await,
        Malformed
    );

    // The right cursor on the right list still works.
    let next = catalog
        .list_photos(a.event_id, &uploaded, &after_photo)
        .await
        .expect("own cursor");
    assert_eq!(next.items.len(), 1);
}
