//! Reads of many photos: listings in every order and filter, paged; batch reads by id; and
//! lookups by content digest.

use shared::domain::{EventId, PageRequest, PhotoId, PhotoStatus};
use shared::ports::{Catalog, MAX_GET_PHOTOS, PhotoQuery, PhotoSort};

use super::builders::*;
use super::checks::*;

/// 250 photos at 100 per page: three pages (100, 100, 50), every photo exactly once, in
/// upload order.
pub async fn photos_page_across_several_pages_each_exactly_once(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photos = photos_of(&event, 250);
    catalog.insert_photos(&photos).await.expect("insert");
    // Another event's photos must not leak into this list.
    let other = insert_live_event(catalog).await;
    catalog
        .insert_photos(&[new_photo(&other, 1)])
        .await
        .expect("other");

    let query = PhotoQuery::default();
    let first = catalog
        .list_photos(event.event_id, &query, &PageRequest::first(100))
        .await
        .expect("page 1");
    assert_eq!(first.items.len(), 100);
    let listed = list_all_photos(catalog, event.event_id, query, 100).await;
    assert_each_once(&ids(&listed, |p| p.photo_id), &ids(&photos, |p| p.photo_id));
    assert_eq!(
        listed, photos,
        "listed rows differ from the registered ones"
    );
}

/// Sorted by capture time: ascending, ties by photo id, photos without a time last, each
/// exactly once across pages.
pub async fn photos_by_taken_time_missing_last_ties_by_id_each_exactly_once(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let base = now().plus_secs(-5 * DAY);
    let photos: Vec<_> = (0..250)
        .map(|n| {
            // Reverse-ish capture order with many ties; every 7th photo has no time, and
            // every 11th has metadata-less rows (still pending).
            let taken = (n % 7 != 0).then(|| base.plus_secs(((250 - n) / 3) as i64 * 10));
            if n % 11 == 0 {
                new_photo(&event, n)
            } else {
                with_taken(new_photo(&event, n), taken)
            }
        })
        .collect();
    catalog.insert_photos(&photos).await.expect("insert");
    let mut expected = photos.clone();
    expected.sort_by_key(|p| (p.taken_at().is_none(), p.taken_at(), p.photo_id));

    let query = PhotoQuery {
        status: None,
        sort: PhotoSort::Taken,
    };
    let listed = list_all_photos(catalog, event.event_id, query, 100).await;
    assert_each_once(
        &ids(&listed, |p| p.photo_id),
        &ids(&expected, |p| p.photo_id),
    );
}

fn status_for(n: usize) -> PhotoStatus {
    match n % 5 {
        0 | 3 => PhotoStatus::Ready,
        1 => PhotoStatus::Pending,
        2 => PhotoStatus::Failed,
        _ => PhotoStatus::Processing,
    }
}

/// A status filter still fills every page but the last, and lists each match exactly once.
pub async fn photos_status_filter_returns_full_pages_each_exactly_once(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photos = by_id(
        (0..250)
            .map(|n| {
                let mut p = new_photo(&event, n);
                p.status = status_for(n);
                p
            })
            .collect(),
    );
    catalog.insert_photos(&photos).await.expect("insert");
    for status in [PhotoStatus::Ready, PhotoStatus::Failed] {
        let expected: Vec<_> = photos
            .iter()
            .filter(|p| p.status == status)
            .map(|p| p.photo_id)
            .collect();
        let query = PhotoQuery {
            status: Some(status),
            sort: PhotoSort::Uploaded,
        };
        let listed = list_all_photos(catalog, event.event_id, query, 30).await;
        assert!(listed.iter().all(|p| p.status == status));
        assert_each_once(&ids(&listed, |p| p.photo_id), &expected);
    }
}

/// A status filter combined with capture-time order.
pub async fn photos_status_filter_with_taken_sort_each_exactly_once(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let base = now().plus_secs(-5 * DAY);
    let photos: Vec<_> = (0..120)
        .map(|n| {
            let taken = (n % 4 != 0).then(|| base.plus_secs(((n * 37) % 50) as i64));
            let mut p = with_taken(new_photo(&event, n), taken);
            p.status = status_for(n);
            p
        })
        .collect();
    catalog.insert_photos(&photos).await.expect("insert");
    let mut expected: Vec<_> = photos
        .iter()
        .filter(|p| p.status == PhotoStatus::Ready)
        .collect();
    expected.sort_by_key(|p| (p.taken_at().is_none(), p.taken_at(), p.photo_id));
    let query = PhotoQuery {
        status: Some(PhotoStatus::Ready),
        sort: PhotoSort::Taken,
    };
    let listed = list_all_photos(catalog, event.event_id, query, 10).await;
    assert_each_once(
        &ids(&listed, |p| p.photo_id),
        &ids(&expected, |p| p.photo_id),
    );
}

/// An event without photos lists an empty last page, in every order and filter.
pub async fn photos_of_an_empty_event_are_an_empty_page(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    for query in [
        PhotoQuery::default(),
        PhotoQuery {
            status: Some(PhotoStatus::Ready),
            sort: PhotoSort::Taken,
        },
    ] {
        let page = catalog
            .list_photos(event.event_id, &query, &PageRequest::first(10))
            .await
            .expect("list");
        assert!(page.items.is_empty());
        assert!(page.next.is_none());
    }
}

/// Photos are found by any of several digests, only within their event.
pub async fn find_photos_by_sha256_matches_only_that_event(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let other = insert_live_event(catalog).await;
    let photos = photos_of(&event, 6);
    catalog.insert_photos(&photos).await.expect("insert");
    // The same content twice in the event, and once in another event.
    let twin = new_photo(&event, 2);
    let elsewhere = new_photo(&other, 3);
    catalog
        .insert_photos(&[twin.clone(), elsewhere])
        .await
        .expect("insert twins");

    let mut found = catalog
        .find_photos_by_sha256(event.event_id, &[sha_of(2), sha_of(3), sha_of(99)])
        .await
        .expect("find");
    found.sort_by_key(|p| p.photo_id);
    let mut expected: Vec<_> = photos
        .iter()
        .filter(|p| p.sha256 == sha_of(2) || p.sha256 == sha_of(3))
        .cloned()
        .chain([twin])
        .collect();
    assert_eq!(expected.len(), 3);
    expected.sort_by_key(|p| p.photo_id);
    assert_eq!(found, expected);
    assert!(
        catalog
            .find_photos_by_sha256(event.event_id, &[])
            .await
            .expect("no digests")
            .is_empty()
    );
    assert!(
        catalog
            .find_photos_by_sha256(event.event_id, &[sha_of(77)])
            .await
            .expect("unknown digest")
            .is_empty()
    );
}

/// A batch read returns the photos asked for, in the order asked, each once; unknown ids,
/// expired photos and other events' photos are skipped.
pub async fn get_photos_returns_those_asked_for_in_the_order_asked(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photos = photos_of(&event, 5);
    let mut expired = new_photo(&event, 5);
    expired.expires_at = past();
    catalog.insert_photos(&photos).await.expect("photos");
    catalog
        .insert_photos(std::slice::from_ref(&expired))
        .await
        .expect("expired photo");
    let other = insert_live_event(catalog).await;
    let elsewhere = new_photo(&other, 1);
    catalog
        .insert_photos(std::slice::from_ref(&elsewhere))
        .await
        .expect("other event's photo");

    let asked = [
        photos[3].photo_id,
        PhotoId::generate(),
        photos[0].photo_id,
        expired.photo_id,
        elsewhere.photo_id,
        photos[3].photo_id,
        photos[1].photo_id,
    ];
    let got = catalog
        .get_photos(event.event_id, &asked)
        .await
        .expect("batch read");
    assert_eq!(
        got,
        vec![photos[3].clone(), photos[0].clone(), photos[1].clone()]
    );
    assert!(
        catalog
            .get_photos(event.event_id, &[])
            .await
            .expect("nothing asked")
            .is_empty()
    );
    assert!(
        catalog
            .get_photos(EventId::generate(), &asked)
            .await
            .expect("unknown event")
            .is_empty()
    );
}

/// [`MAX_GET_PHOTOS`] ids in one call (more than any store reads in one request) come back
/// complete and in order.
pub async fn get_photos_reads_up_to_the_limit_in_one_call(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photos = photos_of(&event, 250);
    catalog.insert_photos(&photos).await.expect("photos");
    // Newest first, with unknown ids between them, up to the limit.
    let mut asked = Vec::with_capacity(MAX_GET_PHOTOS);
    for photo in photos.iter().rev() {
        asked.push(photo.photo_id);
        asked.extend((0..2).map(|_| PhotoId::generate()));
    }
    asked.resize_with(MAX_GET_PHOTOS, PhotoId::generate);
    let got = catalog
        .get_photos(event.event_id, &asked)
        .await
        .expect("batch read");
    let expected: Vec<_> = photos.iter().rev().cloned().collect();
    assert_eq!(got.len(), expected.len());
    assert_eq!(got, expected);
}

/// More than [`MAX_GET_PHOTOS`] ids is `Invalid` (`too_many_photo_ids`).
pub async fn get_photos_over_the_limit_is_invalid(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let asked: Vec<_> = (0..=MAX_GET_PHOTOS).map(|_| PhotoId::generate()).collect();
    let err = expect_err!(catalog.get_photos(event.event_id, &asked).await, Invalid);
    assert_eq!(err.code(), "too_many_photo_ids");
}
