//! Photo rows: registration, reads, versioned updates, expiry and deletes.

use shared::Error;
use shared::domain::{EventId, PageRequest, PhotoFailure, PhotoId, PhotoStatus, UploadKind};
use shared::ports::{Catalog, PhotoQuery, PhotoSort};

use super::builders::*;
use super::checks::*;

/// A photo reads back exactly as written, every optional field included.
pub async fn photo_round_trips(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let mut photo = with_taken(new_photo(&event, 1), Some(now().plus_secs(-DAY)));
    photo.upload = UploadKind::Multipart {
        upload_id: "upload-1".to_owned(),
        part_bytes: 8 << 20,
    };
    photo.attempts = 2;
    photo.processing_until = Some(now());
    let mut failed = new_photo(&event, 2);
    failed.status = PhotoStatus::Failed;
    failed.failure = Some(PhotoFailure {
        code: "not_an_image".to_owned(),
        message: "That file is not an image.".to_owned(),
    });
    catalog
        .insert_photos(&[photo.clone(), failed.clone()])
        .await
        .expect("insert");
    assert_eq!(
        catalog
            .get_photo(event.event_id, photo.photo_id)
            .await
            .expect("get"),
        photo
    );
    assert_eq!(
        catalog
            .get_photo(event.event_id, failed.photo_id)
            .await
            .expect("get failed"),
        failed
    );
    // Photos live under their event only.
    let other = insert_live_event(catalog).await;
    expect_err!(
        catalog.get_photo(other.event_id, photo.photo_id).await,
        NotFound
    );
    catalog.insert_photos(&[]).await.expect("empty batch");
}

/// Registering a photo id that exists is `Conflict`, and the stored photo is unchanged.
pub async fn insert_photos_with_an_existing_id_conflicts(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photo = new_photo(&event, 1);
    catalog
        .insert_photos(std::slice::from_ref(&photo))
        .await
        .expect("insert");
    let mut dup = photo.clone();
    dup.filename = "other.jpg".to_owned();
    let fresh = new_photo(&event, 2);
    expect_err!(catalog.insert_photos(&[fresh, dup]).await, Conflict);
    assert_eq!(
        catalog
            .get_photo(event.event_id, photo.photo_id)
            .await
            .expect("get"),
        photo
    );
}

/// 500 photos registered in one call are all there.
pub async fn insert_photos_registers_500_in_one_call(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photos = photos_of(&event, 500);
    catalog.insert_photos(&photos).await.expect("insert 500");
    let listed = list_all_photos(catalog, event.event_id, PhotoQuery::default(), 200).await;
    assert_each_once(&ids(&listed, |p| p.photo_id), &ids(&photos, |p| p.photo_id));
    assert_eq!(listed[499], photos[499]);
}

/// An unknown photo is `NotFound`.
pub async fn missing_photo_is_not_found(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    expect_err!(
        catalog.get_photo(event.event_id, PhotoId::generate()).await,
        NotFound
    );
    expect_err!(
        catalog
            .get_photo(EventId::generate(), PhotoId::generate())
            .await,
        NotFound
    );
}

/// An update with the current version is stored, with the version bumped.
pub async fn update_photo_with_fresh_version_increments_it(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photo = new_photo(&event, 1);
    catalog
        .insert_photos(std::slice::from_ref(&photo))
        .await
        .expect("insert");
    let mut change = with_taken(photo.clone(), Some(now().plus_secs(-DAY)));
    change.attempts = 1;
    let updated = catalog.update_photo(&change).await.expect("update");
    assert_eq!(updated.version, photo.version + 1);
    assert_eq!(updated.status, PhotoStatus::Ready);
    assert_eq!(updated.metadata, change.metadata);
    assert_eq!(
        catalog
            .get_photo(event.event_id, photo.photo_id)
            .await
            .expect("get"),
        updated
    );
    // The new status and capture time are what lists filter and sort by.
    let ready = catalog
        .list_photos(
            event.event_id,
            &PhotoQuery {
                status: Some(PhotoStatus::Ready),
                sort: PhotoSort::Taken,
            },
            &PageRequest::first(10),
        )
        .await
        .expect("list ready");
    assert_eq!(ready.items, vec![updated]);
    let pending = catalog
        .list_photos(
            event.event_id,
            &PhotoQuery {
                status: Some(PhotoStatus::Pending),
                sort: PhotoSort::Uploaded,
            },
            &PageRequest::first(10),
        )
        .await
        .expect("list pending");
    assert!(pending.items.is_empty());
}

/// An update carrying an old version is `Conflict` and changes nothing.
pub async fn update_photo_with_stale_version_conflicts(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photo = new_photo(&event, 1);
    catalog
        .insert_photos(std::slice::from_ref(&photo))
        .await
        .expect("insert");
    let mut first = photo.clone();
    first.status = PhotoStatus::Processing;
    let stored = catalog.update_photo(&first).await.expect("first");
    let mut stale = photo.clone();
    stale.status = PhotoStatus::Failed;
    expect_err!(catalog.update_photo(&stale).await, Conflict);
    assert_eq!(
        catalog
            .get_photo(event.event_id, photo.photo_id)
            .await
            .expect("get"),
        stored
    );
}

/// Two writers with the same version race: exactly one wins, the other is `Conflict`.
pub async fn update_photo_racing_writers_exactly_one_wins(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photos = photos_of(&event, 8);
    catalog.insert_photos(&photos).await.expect("insert");
    for photo in &photos {
        let mut a = photo.clone();
        a.status = PhotoStatus::Processing;
        a.attempts = 1;
        let mut b = photo.clone();
        b.status = PhotoStatus::Processing;
        b.attempts = 2;
        let (ra, rb) = futures::join!(catalog.update_photo(&a), catalog.update_photo(&b));
        let winner = match (ra, rb) {
            (Ok(won), Err(lost)) | (Err(lost), Ok(won)) => {
                assert!(matches!(lost, Error::Conflict { .. }), "loser got {lost:?}");
                won
            }
            (Ok(_), Ok(_)) => panic!("both racing writers won"),
            (Err(ea), Err(eb)) => panic!("both racing writers lost: {ea:?} / {eb:?}"),
        };
        assert_eq!(winner.version, photo.version + 1);
        assert_eq!(
            catalog
                .get_photo(event.event_id, photo.photo_id)
                .await
                .expect("get"),
            winner
        );
    }
}

/// Updating a photo that does not exist is `NotFound` and does not create it.
pub async fn update_of_missing_photo_is_not_found(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photo = new_photo(&event, 1);
    expect_err!(catalog.update_photo(&photo).await, NotFound);
    expect_err!(
        catalog.get_photo(event.event_id, photo.photo_id).await,
        NotFound
    );
}

/// Photo rows past their `expires_at` are `NotFound`, cannot be updated, and no list or
/// digest lookup returns them.
pub async fn expired_photos_are_not_found_and_skipped_in_lists(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photos = by_id(
        (0..30)
            .map(|n| {
                let mut p = with_taken(new_photo(&event, n), Some(now().plus_secs(-(n as i64))));
                if n % 3 == 1 {
                    p.expires_at = past();
                }
                p
            })
            .collect(),
    );
    catalog.insert_photos(&photos).await.expect("insert");
    let (gone, live): (Vec<_>, Vec<_>) = photos
        .iter()
        .partition(|p| p.expires_at != event.expires_at);
    assert_eq!(gone.len(), 10);

    for photo in &gone {
        expect_err!(
            catalog.get_photo(event.event_id, photo.photo_id).await,
            NotFound
        );
    }
    expect_err!(catalog.update_photo(gone[0]).await, NotFound);

    let listed = list_all_photos(catalog, event.event_id, PhotoQuery::default(), 7).await;
    assert_each_once(&ids(&listed, |p| p.photo_id), &ids(&live, |p| p.photo_id));
    let by_taken = list_all_photos(
        catalog,
        event.event_id,
        PhotoQuery {
            status: Some(PhotoStatus::Ready),
            sort: PhotoSort::Taken,
        },
        7,
    )
    .await;
    let mut expected = live.clone();
    expected.sort_by_key(|p| (p.taken_at(), p.photo_id));
    assert_each_once(
        &ids(&by_taken, |p| p.photo_id),
        &ids(&expected, |p| p.photo_id),
    );
    let digests: Vec<_> = gone.iter().map(|p| p.sha256.clone()).collect();
    assert!(
        catalog
            .find_photos_by_sha256(event.event_id, &digests)
            .await
            .expect("find")
            .is_empty(),
        "expired photos found by digest"
    );
}

/// Deleting a photo removes only it; deleting it again is fine and says it deleted nothing.
pub async fn delete_photo_removes_it_and_is_idempotent(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photos = photos_of(&event, 3);
    catalog.insert_photos(&photos).await.expect("insert");
    assert!(
        catalog
            .delete_photo(event.event_id, photos[1].photo_id)
            .await
            .expect("delete"),
        "the first delete deletes"
    );
    expect_err!(
        catalog.get_photo(event.event_id, photos[1].photo_id).await,
        NotFound
    );
    assert!(
        !catalog
            .delete_photo(event.event_id, photos[1].photo_id)
            .await
            .expect("delete again")
    );
    assert!(
        !catalog
            .delete_photo(event.event_id, PhotoId::generate())
            .await
            .expect("delete unknown")
    );
    let listed = list_all_photos(catalog, event.event_id, PhotoQuery::default(), 10).await;
    assert_each_once(
        &ids(&listed, |p| p.photo_id),
        &[photos[0].photo_id, photos[2].photo_id],
    );
}
