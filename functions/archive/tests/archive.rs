//! Building archives on real storage (SQLite + FsBlobs, and DynamoDB on moto + S3 on
//! s3s-fs): what the zip holds, as `unzip -t` and Python's `zipfile` read it.

mod common;

use aws_lambda_events::event::sqs::SqsEvent;
use shared::archive::handler::handle_batch_until;
use shared::archive::{ArchiveOutcome, ArchiveSelection, ArchiveState, archive_status};
use shared::domain::{Grant, GrantedPhotos, JobMessage, JobState, PhotoStatus, Timestamp, keys};

use common::{World, content, read_with_both_readers, sha256_hex};

const ARCHIVE_JOB: &str = include_str!("../../../events/archive/archive-job.json");
const ONE_GOOD_ONE_FOREIGN: &str =
    include_str!("../../../events/archive/one-good-one-foreign.json");

on_both_stacks!(
    archive_of_a_selection_holds_exactly_the_selected_originals,
    everything_granted_means_the_codes_ready_photos_only,
    clashing_and_hostile_names_are_made_safe_and_unique,
    photos_without_a_recorded_crc_get_it_by_streaming_the_original,
    a_photo_deleted_during_the_build_fails_the_archive_with_a_reason,
    a_selection_with_nothing_ready_fails_with_nothing_to_archive,
    a_batch_with_a_foreign_body_builds_the_archive_and_drops_the_other,
);

async fn archive_of_a_selection_holds_exactly_the_selected_originals(world: World) {
    let event = world.event("Wedding").await;
    let files = [
        ("IMG_0001.jpg", content(1, 150_000)),
        ("IMG_0002.jpg", content(2, 1)),
        ("IMG_0003.jpg", content(3, 70_000)),
        ("IMG_0004.jpg", Vec::new()),
    ];
    let photos = world.photos(&event, &files).await;
    let code = world.code(&event, Grant::All).await;
    let picked = vec![photos[3].photo_id, photos[0].photo_id, photos[2].photo_id];
    let archive = world
        .request(&event, &code, ArchiveSelection::Photos(picked))
        .await;

    let outcome = world.build(&event, archive).await;

    let zip = world.zip(&event, archive).await;
    assert_eq!(
        outcome,
        ArchiveOutcome::Ready {
            bytes: zip.len() as u64
        }
    );
    assert_eq!(
        read_with_both_readers(&zip),
        [0, 2, 3]
            .map(|i| (files[i].0.to_owned(), sha256_hex(&files[i].1)))
            .to_vec(),
        "exactly the selected photos, in upload order"
    );
    let job = world.job(&event, archive).await;
    assert_eq!((job.state, job.done, job.total), (JobState::Done, 3, 3));
    assert_eq!(job.result_key, Some(keys::archive(event.event_id, archive)));
    let status = archive_status(
        &world.deps,
        &event,
        &code.code_key,
        archive,
        Timestamp::now(),
    )
    .await
    .expect("status");
    assert_eq!(
        (status.state, status.done, status.total),
        (ArchiveState::Ready, 3, 3)
    );
    assert!(status.url.is_some());
}

async fn everything_granted_means_the_codes_ready_photos_only(world: World) {
    let event = world.event("Party").await;
    let ready = world
        .photos(
            &event,
            &[
                ("a.jpg", content(1, 1000)),
                ("b.jpg", content(2, 2000)),
                ("not-granted.jpg", content(3, 10)),
            ],
        )
        .await;
    let pending = world
        .photos_with(
            &event,
            &[("pending.jpg", content(4, 10))],
            PhotoStatus::Pending,
            false,
        )
        .await;
    let code = world
        .code(
            &event,
            Grant::Photos(GrantedPhotos::from(vec![
                ready[0].photo_id,
                ready[1].photo_id,
                pending[0].photo_id,
            ])),
        )
        .await;
    let archive = world.request(&event, &code, ArchiveSelection::All).await;
    assert_eq!(
        world.job(&event, archive).await.total,
        0,
        "unknown until resolved"
    );

    world.build(&event, archive).await;

    let names: Vec<String> = read_with_both_readers(&world.zip(&event, archive).await)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(names, ["a.jpg", "b.jpg"]);
    assert_eq!(world.job(&event, archive).await.total, 2);
}

async fn clashing_and_hostile_names_are_made_safe_and_unique(world: World) {
    let event = world.event("Names").await;
    let hostile = [
        "IMG.jpg",
        "img.JPG",
        "IMG.jpg",
        "../../etc/passwd",
        "/absolute.jpg",
        "C:\\Users\\x.jpg",
        "evil\u{202E}gpj.exe",
        "line\r\nbreak\u{0}.jpg",
        "CON.jpg",
        "..",
        "  ",
        "Ünïcödé 写真.jpg",
    ];
    let files: Vec<(&str, Vec<u8>)> = hostile
        .iter()
        .enumerate()
        .map(|(i, name)| (*name, content(i as u8, 100 + i)))
        .collect();
    world.photos(&event, &files).await;
    let code = world.code(&event, Grant::All).await;
    let archive = world.request(&event, &code, ArchiveSelection::All).await;

    world.build(&event, archive).await;

    let listing = read_with_both_readers(&world.zip(&event, archive).await);
    let names: Vec<&str> = listing.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "IMG.jpg",
            "img (2).JPG",
            "IMG (3).jpg",
            "_.._etc_passwd",
            "_absolute.jpg",
            "C__Users_x.jpg",
            "evilgpj.exe",
            "linebreak.jpg",
            "_CON.jpg",
            "photo",
            "photo (2)",
            "Ünïcödé 写真.jpg",
        ]
    );
    for ((_, digest), (_, bytes)) in listing.iter().zip(&files) {
        assert_eq!(digest, &sha256_hex(bytes));
    }
}

async fn photos_without_a_recorded_crc_get_it_by_streaming_the_original(world: World) {
    let event = world.event("Old photos").await;
    // Larger than one read window, so the CRC is computed across several reads.
    let files = [
        ("old.jpg", content(9, 5_000_000)),
        ("older.jpg", content(8, 12)),
    ];
    world
        .photos_with(&event, &files, PhotoStatus::Ready, false)
        .await;
    let code = world.code(&event, Grant::All).await;
    let archive = world.request(&event, &code, ArchiveSelection::All).await;

    world.build(&event, archive).await;

    let listing = read_with_both_readers(&world.zip(&event, archive).await);
    assert_eq!(
        listing,
        files.map(|(n, b)| (n.to_owned(), sha256_hex(&b))).to_vec()
    );
}

async fn a_photo_deleted_during_the_build_fails_the_archive_with_a_reason(world: World) {
    let event = world.event("Deleted").await;
    let photos = world
        .photos(
            &event,
            &[("a.jpg", content(1, 100)), ("b.jpg", content(2, 100))],
        )
        .await;
    let code = world.code(&event, Grant::All).await;
    let archive = world.request(&event, &code, ArchiveSelection::All).await;
    let message = World::message(&event, archive);
    // The first delivery resolves the selection and stops (its deadline has passed).
    let first = shared::archive::process_archive_job(
        &world.deps,
        &message,
        Some(std::time::Instant::now()),
    )
    .await
    .expect("first step");
    assert_eq!(first, ArchiveOutcome::Continued);
    world
        .store
        .delete(&keys::original(
            &world.owner,
            event.event_id,
            photos[1].photo_id,
        ))
        .await
        .expect("delete original");

    assert_eq!(
        world.build(&event, archive).await,
        ArchiveOutcome::Failed("photo_deleted".to_owned())
    );

    let status = archive_status(
        &world.deps,
        &event,
        &code.code_key,
        archive,
        Timestamp::now(),
    )
    .await
    .expect("status");
    assert_eq!(status.state, ArchiveState::Failed);
    assert_eq!(status.error.expect("reason").code, "photo_deleted");
    assert!(status.url.is_none());
    let job = world.job(&event, archive).await;
    let upload = job
        .archive
        .and_then(|p| p.upload)
        .expect("upload was started");
    assert!(
        world
            .store
            .list_parts(&keys::archive(event.event_id, archive), &upload.upload_id)
            .await
            .map_or(true, |parts| parts.is_empty()),
        "the upload is aborted"
    );
    assert_eq!(
        shared::archive::process_archive_job(&world.deps, &message, None)
            .await
            .expect("redelivery"),
        ArchiveOutcome::AlreadyDone(JobState::Failed)
    );
}

async fn a_selection_with_nothing_ready_fails_with_nothing_to_archive(world: World) {
    let event = world.event("Empty").await;
    world
        .photos_with(
            &event,
            &[("p.jpg", content(1, 10))],
            PhotoStatus::Processing,
            false,
        )
        .await;
    let code = world.code(&event, Grant::All).await;
    let archive = world.request(&event, &code, ArchiveSelection::All).await;
    assert_eq!(
        world.build(&event, archive).await,
        ArchiveOutcome::Failed("nothing_to_archive".to_owned())
    );
}

/// The sample batch, with its archive message pointed at `message`.
fn batch_for(sample: &str, message: &JobMessage) -> SqsEvent {
    let mut event: serde_json::Value = serde_json::from_str(sample).expect("sample event");
    event["Records"][0]["body"] =
        serde_json::Value::String(serde_json::to_string(message).expect("message"));
    serde_json::from_value(event).expect("SQS event")
}

#[test]
fn the_sample_event_carries_an_archive_job_message() {
    let event: SqsEvent = serde_json::from_str(ARCHIVE_JOB).expect("sample event");
    let body = event.records[0].body.as_deref().expect("body");
    let message: JobMessage = serde_json::from_str(body).expect("a job message");
    assert_eq!(message.kind, shared::domain::JobKind::Archive);
}

async fn a_batch_with_a_foreign_body_builds_the_archive_and_drops_the_other(world: World) {
    let event = world.event("Batch").await;
    world.photos(&event, &[("a.jpg", content(1, 10))]).await;
    let code = world.code(&event, Grant::All).await;
    let archive = world.request(&event, &code, ArchiveSelection::All).await;

    let response = handle_batch_until(
        &world.deps,
        batch_for(ONE_GOOD_ONE_FOREIGN, &World::message(&event, archive)),
        None,
    )
    .await;

    assert!(
        response.batch_item_failures.is_empty(),
        "the foreign body is dropped, not retried: {:?}",
        response.batch_item_failures
    );
    assert_eq!(world.job(&event, archive).await.state, JobState::Done);
    assert_eq!(
        read_with_both_readers(&world.zip(&event, archive).await).len(),
        1
    );
}
