//! The viewer's side of archives: asking twice, another code's token, the download URL,
//! expiry after 24 hours, the reaper's sweep, and the size of the job row.

mod common;

use shared::archive::lifetime::ARCHIVE_LIFETIME_SECS;
use shared::archive::{
    ArchiveSelection, ArchiveState, archive_status, process_archive_job, request_archive,
    sweep_archives,
};
use shared::domain::{Grant, GrantedPhotos, JobState, PageRequest, PhotoId, Timestamp, keys};
use shared::error::Error;

use common::{World, content, read_with_both_readers};

on_both_stacks!(
    the_same_request_returns_the_same_archive_while_it_is_live,
    after_a_failure_the_same_request_makes_a_new_archive,
    an_archive_expires_24_hours_after_it_is_ready,
    another_codes_token_cannot_see_the_archive,
    selections_are_checked_against_the_grant,
    a_ready_archive_downloads_under_the_event_name,
    the_sweep_deletes_expired_and_failed_archives_and_keeps_live_ones,
);

/// The whole 20,000 on SQLite; moto reads 20,000 photo rows one request at a time (over
/// three minutes), so DynamoDB gets a tenth of them: the row holds the same fields either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_row_stays_small_for_a_20000_photo_selection() {
    job_row_stays_small(World::local().await, 20_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_row_on_dynamodb_stays_small_for_a_2000_photo_selection() {
    job_row_stays_small(World::aws().await, 2_000).await;
}

async fn the_same_request_returns_the_same_archive_while_it_is_live(world: World) {
    let event = world.event("Twice").await;
    let photos = world
        .photos(
            &event,
            &[("a.jpg", content(1, 10)), ("b.jpg", content(2, 10))],
        )
        .await;
    let code = world.code(&event, Grant::All).await;
    let (a, b) = (photos[0].photo_id, photos[1].photo_id);
    let now = Timestamp::now();
    let ask = |selection| request_archive(&world.deps, &event, &code, selection, now);

    let first = ask(ArchiveSelection::Photos(vec![a, b]))
        .await
        .expect("first");
    assert!(!first.reused);
    assert_eq!(world.queued_messages().await.len(), 1);
    // Same photos in another order, one twice: the same selection.
    let again = ask(ArchiveSelection::Photos(vec![b, a, b]))
        .await
        .expect("again");
    assert_eq!((again.archive_id, again.reused), (first.archive_id, true));
    assert_eq!(
        world.queued_messages().await.len(),
        1,
        "a queued archive's message is sent again, in case the first was lost"
    );
    world.build(&event, first.archive_id).await;
    let ready = ask(ArchiveSelection::Photos(vec![a, b]))
        .await
        .expect("ready");
    assert_eq!((ready.archive_id, ready.reused), (first.archive_id, true));
    assert!(
        world.queued_messages().await.is_empty(),
        "no new work for a ready archive"
    );

    let other = ask(ArchiveSelection::Photos(vec![a]))
        .await
        .expect("other selection");
    assert_ne!(other.archive_id, first.archive_id);
    let all = ask(ArchiveSelection::All).await.expect("all");
    assert_ne!(all.archive_id, first.archive_id);
}

async fn after_a_failure_the_same_request_makes_a_new_archive(world: World) {
    let event = world.event("Retry").await;
    let photos = world
        .photos_with(
            &event,
            &[("a.jpg", content(1, 10))],
            shared::domain::PhotoStatus::Processing,
            false,
        )
        .await;
    let code = world.code(&event, Grant::All).await;
    let failed = world.request(&event, &code, ArchiveSelection::All).await;
    world.build(&event, failed).await;
    assert_eq!(world.job(&event, failed).await.state, JobState::Failed);

    let mut photo = photos[0].clone();
    photo.status = shared::domain::PhotoStatus::Ready;
    photo.metadata =
        common::photo_row(&event, "a.jpg", &content(1, 10), photo.status, true).metadata;
    world.catalog.update_photo(&photo).await.expect("now ready");
    let retried = world.request(&event, &code, ArchiveSelection::All).await;

    assert_ne!(retried, failed);
    world.build(&event, retried).await;
    assert_eq!(
        read_with_both_readers(&world.zip(&event, retried).await).len(),
        1
    );
    assert_eq!(
        world.request(&event, &code, ArchiveSelection::All).await,
        retried
    );
}

async fn an_archive_expires_24_hours_after_it_is_ready(world: World) {
    let event = world.event("Expiry").await;
    world.photos(&event, &[("a.jpg", content(1, 10))]).await;
    let code = world.code(&event, Grant::All).await;
    let archive = world.request(&event, &code, ArchiveSelection::All).await;
    world.build(&event, archive).await;
    let ready_at = world
        .job(&event, archive)
        .await
        .archive
        .and_then(|p| p.ready_at)
        .expect("ready_at");

    let just_before = ready_at.plus_secs(ARCHIVE_LIFETIME_SECS - 1);
    let status = archive_status(&world.deps, &event, &code.code_key, archive, just_before)
        .await
        .expect("still offered");
    assert_eq!(
        status.expires_at,
        Some(ready_at.plus_secs(ARCHIVE_LIFETIME_SECS))
    );
    // The URL does not outlive the archive: one second left, one second of URL.
    let url = status.url.expect("url");
    let expiry = ready_at.plus_secs(ARCHIVE_LIFETIME_SECS).epoch_secs();
    assert!(
        url.contains(&format!("X-Picpass-Expires={expiry}&"))
            || url.contains("X-Amz-Expires=1&")
            || url.ends_with("X-Amz-Expires=1"),
        "{url}"
    );

    let after = ready_at.plus_secs(ARCHIVE_LIFETIME_SECS);
    let err = archive_status(&world.deps, &event, &code.code_key, archive, after)
        .await
        .expect_err("expired");
    assert!(matches!(err, Error::Expired { .. }), "{err:?}");
    assert_eq!(err.code(), "archive_expired");
    let renewed = request_archive(&world.deps, &event, &code, ArchiveSelection::All, after)
        .await
        .expect("new request");
    assert!(!renewed.reused);
    assert_ne!(renewed.archive_id, archive);
}

async fn another_codes_token_cannot_see_the_archive(world: World) {
    let event = world.event("Mine").await;
    world.photos(&event, &[("a.jpg", content(1, 10))]).await;
    let mine = world.code(&event, Grant::All).await;
    let theirs = world.code(&event, Grant::All).await;
    let archive = world.request(&event, &mine, ArchiveSelection::All).await;
    world.build(&event, archive).await;

    let err = archive_status(
        &world.deps,
        &event,
        &theirs.code_key,
        archive,
        Timestamp::now(),
    )
    .await
    .expect_err("not theirs");
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    let unknown = archive_status(
        &world.deps,
        &event,
        &mine.code_key,
        shared::domain::JobId::generate(),
        Timestamp::now(),
    )
    .await
    .expect_err("no such archive");
    assert_eq!(
        (unknown.code(), err.code()),
        ("archive_not_found", "archive_not_found")
    );
    let their_own = world.request(&event, &theirs, ArchiveSelection::All).await;
    assert_ne!(
        their_own, archive,
        "the same selection by another code is another archive"
    );
}

async fn selections_are_checked_against_the_grant(world: World) {
    let event = world.event("Grant").await;
    let photos = world
        .photos(
            &event,
            &[("a.jpg", content(1, 10)), ("b.jpg", content(2, 10))],
        )
        .await;
    let code = world
        .code(
            &event,
            Grant::Photos(GrantedPhotos::from(vec![photos[0].photo_id])),
        )
        .await;
    let ask = |selection| request_archive(&world.deps, &event, &code, selection, Timestamp::now());

    let not_granted = ask(ArchiveSelection::Photos(vec![
        photos[0].photo_id,
        photos[1].photo_id,
    ]))
    .await
    .expect_err("b is not granted");
    assert!(
        matches!(not_granted, Error::NotFound { .. }),
        "{not_granted:?}"
    );
    let unknown = ask(ArchiveSelection::Photos(vec![PhotoId::generate()]))
        .await
        .expect_err("unknown");
    assert!(matches!(unknown, Error::NotFound { .. }));
    let empty = ask(ArchiveSelection::Photos(Vec::new()))
        .await
        .expect_err("empty");
    assert!(matches!(empty, Error::Invalid { .. }));
    let too_many = ask(ArchiveSelection::Photos(
        (0..20_001).map(|_| PhotoId::generate()).collect(),
    ))
    .await
    .expect_err("too many");
    assert!(matches!(too_many, Error::TooLarge { .. }));
    assert!(
        world.queued_messages().await.is_empty(),
        "nothing was queued"
    );
}

async fn a_ready_archive_downloads_under_the_event_name(world: World) {
    let event = world.event("Anna & Ben's \"Wedding\"; Día 1").await;
    world.photos(&event, &[("a.jpg", content(1, 1000))]).await;
    let code = world.code(&event, Grant::All).await;
    let archive = world.request(&event, &code, ArchiveSelection::All).await;
    let before = archive_status(
        &world.deps,
        &event,
        &code.code_key,
        archive,
        Timestamp::now(),
    )
    .await
    .expect("status");
    assert_eq!(
        (before.state, before.url.as_deref()),
        (ArchiveState::Queued, None)
    );
    world.build(&event, archive).await;

    let status = archive_status(
        &world.deps,
        &event,
        &code.code_key,
        archive,
        Timestamp::now(),
    )
    .await
    .expect("status");
    let response = reqwest::get(status.url.expect("url"))
        .await
        .expect("download");
    assert_eq!(response.status().as_u16(), 200);
    let disposition = response
        .headers()
        .get("content-disposition")
        .expect("content-disposition")
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(
        disposition,
        "attachment; filename=\"Anna & Ben's _Wedding__ D_a 1.zip\"; \
         filename*=UTF-8''Anna%20&%20Ben%27s%20%22Wedding%22%3B%20D%C3%ADa%201.zip"
    );
    let body = response.bytes().await.expect("body");
    assert_eq!(body.to_vec(), world.zip(&event, archive).await);
}

async fn the_sweep_deletes_expired_and_failed_archives_and_keeps_live_ones(world: World) {
    let event = world.event("Sweep").await;
    let photos = world
        .photos(
            &event,
            &[("a.jpg", content(1, 10)), ("b.jpg", content(2, 10))],
        )
        .await;
    let code = world.code(&event, Grant::All).await;
    let old = world
        .request(
            &event,
            &code,
            ArchiveSelection::Photos(vec![photos[0].photo_id]),
        )
        .await;
    world.build(&event, old).await;
    let ready_at = world
        .job(&event, old)
        .await
        .archive
        .and_then(|p| p.ready_at)
        .expect("ready");
    // Asked for a little after the first was ready, and still building a day after that.
    let building = request_archive(
        &world.deps,
        &event,
        &code,
        ArchiveSelection::All,
        ready_at.plus_secs(60),
    )
    .await
    .expect("second request")
    .archive_id;
    let message = common::World::message(&event, building);
    process_archive_job(&world.deps, &message, Some(std::time::Instant::now()))
        .await
        .expect("one step: resolved, upload started");
    let later = ready_at.plus_secs(ARCHIVE_LIFETIME_SECS);
    let stray = format!("archives/{}/not-an-archive", event.event_id);
    world
        .store
        .put(&stray, "x".into(), "text/plain")
        .await
        .expect("stray");
    let job_building = world.job(&event, building).await;
    let mut keys_before = all_archive_keys(&world).await;
    keys_before.sort();

    let mut deleted = 0;
    let mut page = PageRequest::first(2);
    loop {
        let swept = sweep_archives(world.catalog.as_ref(), world.store.as_ref(), later, &page)
            .await
            .expect("sweep");
        deleted += swept.deleted;
        match swept.next {
            Some(next) => page = PageRequest::after(2, next),
            None => break,
        }
    }

    let left = all_archive_keys(&world).await;
    assert!(
        left.iter().all(|k| !k.contains(&old.to_string())),
        "{left:?}"
    );
    assert!(
        left.contains(&stray),
        "objects not of an archive are left alone"
    );
    let manifest = job_building
        .archive
        .and_then(|p| p.manifest_key)
        .expect("manifest");
    assert!(
        left.contains(&manifest),
        "a live archive keeps its objects: {left:?}"
    );
    // The old archive had its zip, its selection and its manifest.
    assert_eq!(deleted, 3, "{keys_before:?} → {left:?}");
    assert!(
        world
            .store
            .head(&keys::archive(event.event_id, old))
            .await
            .is_err()
    );
}

async fn all_archive_keys(world: &World) -> Vec<String> {
    let mut keys = Vec::new();
    let mut page = PageRequest::first(100);
    loop {
        let listed = world
            .store
            .list(keys::ARCHIVES_PREFIX, &page)
            .await
            .expect("list");
        keys.extend(listed.items.into_iter().map(|o| o.key));
        match listed.next {
            Some(next) => page = PageRequest::after(100, next),
            None => return keys,
        }
    }
}

async fn job_row_stays_small(world: World, count: usize) {
    let event = world.event("Big").await;
    let photos: Vec<shared::domain::Photo> = (0..count)
        .map(|i| {
            common::photo_row(
                &event,
                &format!("IMG_{i:05}_with_a_long_descriptive_file_name_from_the_camera.jpg"),
                &[],
                shared::domain::PhotoStatus::Ready,
                true,
            )
        })
        .collect();
    world
        .catalog
        .insert_photos(&photos)
        .await
        .expect("photo rows");
    let code = world.code(&event, Grant::All).await;
    let ids: Vec<PhotoId> = photos.iter().map(|p| p.photo_id).collect();
    let archive = world
        .request(&event, &code, ArchiveSelection::Photos(ids))
        .await;
    let queued = world.job(&event, archive).await;
    assert_eq!(queued.total as usize, count);

    // One delivery past its deadline resolves the selection, writes the manifest, starts
    // the upload, then hands on: the row now holds all it will ever hold but `ready_at`.
    process_archive_job(
        &world.deps,
        &common::World::message(&event, archive),
        Some(std::time::Instant::now()),
    )
    .await
    .expect("resolve step");
    let job = world.job(&event, archive).await;
    assert_eq!(job.total as usize, count);
    assert!(
        job.archive
            .as_ref()
            .and_then(|p| p.upload.as_ref())
            .is_some()
    );
    let row_bytes = serde_json::to_vec(&job).expect("json").len();
    assert!(row_bytes < 2_000, "the job row is {row_bytes} bytes");
}
