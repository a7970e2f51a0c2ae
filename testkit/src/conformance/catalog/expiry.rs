//! An event's expiry carried to its child rows (photos, codes, jobs): on update, on insert
//! from a stale copy, and through child updates.

use shared::domain::{
    AccessCode, Event, Job, JobState, PageRequest, Photo, PhotoStatus, Timestamp,
};
use shared::ports::{Catalog, PhotoQuery};

use super::builders::*;
use super::checks::*;

/// The child rows of one event, as written.
struct Children {
    photos: Vec<Photo>,
    codes: Vec<AccessCode>,
    jobs: Vec<Job>,
}

/// Three photos, two codes (one with its own `valid_until` a day from now) and a job.
async fn insert_children(catalog: &dyn Catalog, event: &Event) -> Children {
    let photos = photos_of(event, 3);
    catalog.insert_photos(&photos).await.expect("photos");
    let plain = new_code(event, 1, now());
    let mut own_expiry = new_code(event, 2, now());
    own_expiry.valid_until = Some(now().plus_secs(DAY));
    let codes = vec![plain, own_expiry];
    for code in &codes {
        catalog.insert_code(code).await.expect("code");
    }
    let jobs = vec![new_job(event)];
    catalog.insert_job(&jobs[0]).await.expect("job");
    Children {
        photos,
        codes,
        jobs,
    }
}

/// Extends or shortens the event's expiry through `update_event`.
async fn change_expiry(catalog: &dyn Catalog, event: &Event, expires_at: Timestamp) -> Event {
    let mut change = event.clone();
    change.expires_at = expires_at;
    let updated = catalog
        .update_event(&change)
        .await
        .expect("change the expiry");
    assert_eq!(updated.expires_at, expires_at);
    updated
}

/// Every child reads back and is listed as written, except that it carries `expires_at`.
async fn assert_children_expire_at(
    catalog: &dyn Catalog,
    children: &Children,
    expires_at: Timestamp,
) {
    let mut photos = children.photos.clone();
    for photo in &mut photos {
        photo.expires_at = expires_at;
        assert_eq!(
            &catalog
                .get_photo(photo.event_id, photo.photo_id)
                .await
                .expect("the photo is still there"),
            photo
        );
    }
    let event_id = photos[0].event_id;
    let listed = list_all_photos(catalog, event_id, PhotoQuery::default(), 100).await;
    assert_eq!(listed, photos, "listed photos");

    let mut codes = children.codes.clone();
    for code in &mut codes {
        code.expires_at = expires_at;
        assert_eq!(
            &catalog
                .get_code(event_id, &code.code_key)
                .await
                .expect("the code is still there"),
            code,
            "the code's own valid_until is kept"
        );
    }
    let mut listed = catalog
        .list_codes(event_id, &PageRequest::first(50))
        .await
        .expect("codes")
        .items;
    listed.sort_by(|a, b| a.code_key.cmp(&b.code_key));
    codes.sort_by(|a, b| a.code_key.cmp(&b.code_key));
    assert_eq!(listed, codes, "listed codes");

    for job in &children.jobs {
        let mut expected = job.clone();
        expected.expires_at = expires_at;
        assert_eq!(
            catalog
                .get_job(event_id, job.job_id)
                .await
                .expect("the job is still there"),
            expected
        );
    }
}

/// GIVEN photos, codes and a job made from a copy of the event read before its expiry
/// changed (an uploads call, a new code or a derivative request racing a PATCH),
/// WHEN they are inserted after the change, whether it extended or shortened the expiry,
/// THEN they are stored with the event's current expiry: none is left to vanish at the old
/// time or to outlive its event.
pub async fn child_inserted_after_an_expiry_change_takes_the_events_expiry(catalog: &dyn Catalog) {
    for shift in [60 * DAY, -DAY] {
        let read_before = insert_live_event(catalog).await;
        let changed = read_before.expires_at.plus_secs(shift);
        change_expiry(catalog, &read_before, changed).await;
        let children = insert_children(catalog, &read_before).await;
        assert!(
            children.photos.iter().all(|p| p.expires_at != changed),
            "the rows were made with the old expiry"
        );
        assert_children_expire_at(catalog, &children, changed).await;
    }
}

/// GIVEN an event with photos, access codes (one with its own earlier expiry) and a job,
/// WHEN its expiry is extended,
/// THEN every child reads and lists with the new `expires_at`, and nothing else of it
/// changes (not its `version`, not a code's `valid_until`); another event's children keep
/// theirs. Reads treat a row past its own `expires_at` as gone (see
/// `expired_photos_are_not_found_and_skipped_in_lists`), so a child left with the old one
/// would vanish at the old time while its event lives on.
pub async fn extending_event_expiry_keeps_its_photos_codes_and_jobs(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let other = insert_live_event(catalog).await;
    let children = insert_children(catalog, &event).await;
    let others = insert_children(catalog, &other).await;

    let later = event.expires_at.plus_secs(90 * DAY);
    change_expiry(catalog, &event, later).await;

    assert_children_expire_at(catalog, &children, later).await;
    assert_children_expire_at(catalog, &others, other.expires_at).await;
}

/// Bringing the expiry forward brings the children's with it: none outlives its event. A
/// code keeps its own `valid_until`, whether before or after the new event expiry.
pub async fn shortening_event_expiry_shortens_its_children(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let mut children = insert_children(catalog, &event).await;
    let mut outliving = new_code(&event, 3, now());
    outliving.valid_until = Some(future());
    catalog.insert_code(&outliving).await.expect("code");
    children.codes.push(outliving);

    let sooner = now().plus_secs(2 * DAY);
    let updated = change_expiry(catalog, &event, sooner).await;
    assert_children_expire_at(catalog, &children, sooner).await;

    // And once more, from the new version.
    let sooner_still = now().plus_secs(DAY + HOUR);
    change_expiry(catalog, &updated, sooner_still).await;
    assert_children_expire_at(catalog, &children, sooner_still).await;
}

/// An expiry in the past expires the event at once (PATCH event): its children are gone with
/// it, not found and not listed, before the reaper deletes anything.
pub async fn expiring_an_event_at_once_ends_its_children(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let children = insert_children(catalog, &event).await;

    change_expiry(catalog, &event, past()).await;

    expect_err!(catalog.get_event(event.event_id).await, Expired);
    for photo in &children.photos {
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
        .expect("list photos");
    assert!(listed.items.is_empty(), "photos of an expired event listed");
    let digests: Vec<_> = children.photos.iter().map(|p| p.sha256.clone()).collect();
    assert!(
        catalog
            .find_photos_by_sha256(event.event_id, &digests)
            .await
            .expect("by digest")
            .is_empty()
    );
    for code in &children.codes {
        expect_err!(
            catalog.get_code(event.event_id, &code.code_key).await,
            NotFound
        );
    }
    let codes = catalog
        .list_codes(event.event_id, &PageRequest::first(50))
        .await
        .expect("list codes");
    assert!(codes.items.is_empty(), "codes of an expired event listed");
    for job in &children.jobs {
        expect_err!(catalog.get_job(event.event_id, job.job_id).await, NotFound);
    }
}

/// An expiry change reaches every photo of a large event (250: several pages of any
/// adapter's internal reads), both ways.
pub async fn event_expiry_change_reaches_every_photo_across_pages(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let photos = photos_of(&event, 250);
    catalog.insert_photos(&photos).await.expect("insert");

    for expires_at in [future().plus_secs(60 * DAY), now().plus_secs(3 * DAY)] {
        let current = catalog.get_event(event.event_id).await.expect("event");
        change_expiry(catalog, &current, expires_at).await;
        let listed = list_all_photos(catalog, event.event_id, PhotoQuery::default(), 100).await;
        assert_each_once(&ids(&listed, |p| p.photo_id), &ids(&photos, |p| p.photo_id));
        let stale: Vec<_> = listed
            .iter()
            .filter(|p| p.expires_at != expires_at)
            .map(|p| p.photo_id)
            .collect();
        assert!(
            stale.is_empty(),
            "{} of 250 photos kept another expiry",
            stale.len()
        );
    }
}

/// Children already past their own `expires_at` are gone: extending their event does not
/// bring them back.
pub async fn event_expiry_change_does_not_revive_expired_children(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let live = new_photo(&event, 1);
    let mut gone_photo = new_photo(&event, 2);
    gone_photo.expires_at = past();
    catalog
        .insert_photos(&[live.clone(), gone_photo.clone()])
        .await
        .expect("photos");
    let mut gone_code = new_code(&event, 1, now());
    gone_code.expires_at = past();
    catalog.insert_code(&gone_code).await.expect("code");
    let mut gone_job = new_job(&event);
    gone_job.expires_at = past();
    catalog.insert_job(&gone_job).await.expect("job");

    let later = event.expires_at.plus_secs(DAY);
    change_expiry(catalog, &event, later).await;

    expect_err!(
        catalog.get_photo(event.event_id, gone_photo.photo_id).await,
        NotFound
    );
    let listed = list_all_photos(catalog, event.event_id, PhotoQuery::default(), 10).await;
    assert_eq!(ids(&listed, |p| p.photo_id), vec![live.photo_id]);
    assert_eq!(listed[0].expires_at, later);
    expect_err!(
        catalog.get_code(event.event_id, &gone_code.code_key).await,
        NotFound
    );
    expect_err!(
        catalog.get_job(event.event_id, gone_job.job_id).await,
        NotFound
    );
}

/// A photo, code or job updated from a copy read before its event's expiry changed keeps
/// the new expiry (the copy's old one is not written back), and the update succeeds: the
/// expiry change leaves versions alone, so it neither makes a processor's write conflict
/// nor is undone by it.
pub async fn child_update_from_before_an_expiry_change_keeps_the_new_expiry(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let children = insert_children(catalog, &event).await;
    let later = event.expires_at.plus_secs(30 * DAY);
    change_expiry(catalog, &event, later).await;

    let mut photo = children.photos[0].clone();
    photo.status = PhotoStatus::Processing;
    photo.attempts = 1;
    let updated = catalog.update_photo(&photo).await.expect("update photo");
    assert_eq!(updated.version, photo.version + 1);
    assert_eq!(updated.status, PhotoStatus::Processing);
    assert_eq!(updated.expires_at, later);
    assert_eq!(
        catalog
            .get_photo(event.event_id, photo.photo_id)
            .await
            .expect("get photo"),
        updated
    );

    let mut code = children.codes[1].clone();
    code.label = "Relabelled".to_owned();
    code.valid_until = Some(now().plus_secs(2 * DAY));
    let updated = catalog.update_code(&code).await.expect("update code");
    assert_eq!(updated.version, code.version + 1);
    assert_eq!(updated.label, "Relabelled");
    assert_eq!(
        updated.valid_until, code.valid_until,
        "a code's own expiry is the caller's"
    );
    assert_eq!(updated.expires_at, later);
    assert_eq!(
        catalog
            .get_code(event.event_id, &code.code_key)
            .await
            .expect("get code"),
        updated
    );

    let mut job = children.jobs[0].clone();
    job.state = JobState::Running;
    let updated = catalog.update_job(&job).await.expect("update job");
    assert_eq!(updated.version, job.version + 1);
    assert_eq!(updated.expires_at, later);
    assert_eq!(
        catalog
            .get_job(event.event_id, job.job_id)
            .await
            .expect("get job"),
        updated
    );
}
