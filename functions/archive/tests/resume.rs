//! Builds that stop and start again: at a deadline after every step, through storage that
//! fails one call in a few (before or after doing the work), and with two deliveries at once.
//! Each must end with the same, valid archive.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use shared::archive::{ArchiveOutcome, ArchiveSelection, process_archive_job};
use shared::domain::{Event, Grant, JobId, JobState, PageRequest, keys};
use shared::error::Error;
use testkit::faulty_blobs::{BlobCall, Fault, faulty_blobs};

use common::{World, content, read_with_both_readers, sha256_hex};

on_both_stacks!(
    a_build_stopped_by_its_deadline_after_every_step_resumes_into_the_same_archive,
    storage_failing_one_call_in_four_still_ends_in_a_valid_archive,
    two_deliveries_at_once_end_in_one_valid_archive,
);

/// Three originals of 6 MB: an archive of three 8 MiB parts, the middle one spanning two
/// photos.
fn three_photos() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("one.jpg", content(1, 6_000_000)),
        ("two.jpg", content(2, 6_000_000)),
        ("three.jpg", content(3, 6_000_000)),
    ]
}

async fn requested(world: &World, files: &[(&str, Vec<u8>)]) -> (Event, JobId) {
    let event = world.event("Resume").await;
    world.photos(&event, files).await;
    let code = world.code(&event, Grant::All).await;
    let archive = world.request(&event, &code, ArchiveSelection::All).await;
    (event, archive)
}

fn expected(files: &[(&str, Vec<u8>)]) -> Vec<(String, String)> {
    files
        .iter()
        .map(|(name, bytes)| ((*name).to_owned(), sha256_hex(bytes)))
        .collect()
}

async fn a_build_stopped_by_its_deadline_after_every_step_resumes_into_the_same_archive(
    world: World,
) {
    let files = three_photos();
    let (event, archive) = requested(&world, &files).await;
    let message = World::message(&event, archive);
    let mut deliveries = 0;
    let mut progress = Vec::new();
    loop {
        deliveries += 1;
        assert!(deliveries < 20, "the build makes progress");
        // A deadline already past: each delivery does exactly one step, then hands on.
        match process_archive_job(&world.deps, &message, Some(Instant::now()))
            .await
            .expect("delivery")
        {
            ArchiveOutcome::Continued => {
                let job = world.job(&event, archive).await;
                progress.push((
                    job.done,
                    job.archive.and_then(|p| p.upload).map(|u| u.parts_done),
                ));
            }
            ArchiveOutcome::Ready { .. } => break,
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    // Resolve, then parts 1 and 2 (each saved with the photos complete so far); the last
    // delivery writes part 3 and completes.
    assert_eq!(progress, [(0, Some(0)), (1, Some(1)), (2, Some(2))]);
    let zip = world.zip(&event, archive).await;
    assert_eq!(read_with_both_readers(&zip), expected(&files));
    let job = world.job(&event, archive).await;
    let upload = job.archive.and_then(|p| p.upload).expect("upload");
    assert_eq!(
        (upload.part_count, upload.parts_done, upload.part_bytes),
        (3, 3, 8 << 20)
    );
    assert_eq!(upload.archive_bytes, zip.len() as u64);
}

/// Storage that fails about one call in `one_in` with a transient error — alternately
/// before the call (nothing happened) and after it (it happened, but the caller cannot
/// know). Which calls fail follows a fixed pseudo-random sequence: a strict "every k-th call"
/// can fall in step with a retry that always makes the same calls, and never let it through.
#[derive(Debug, Default)]
struct SometimesFailing {
    one_in: u32,
    calls: AtomicU32,
    failures: AtomicU32,
}

impl SometimesFailing {
    fn fault(&self, _call: BlobCall) -> Option<Fault> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        // SplitMix64 of the call number: a fixed sequence, but in step with nothing.
        let mut x = u64::from(n).wrapping_add(0x9E37_79B9_7F4A_7C15);
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        if (x ^ (x >> 31)) % u64::from(self.one_in) != 0 {
            return None;
        }
        let failure = self.failures.fetch_add(1, Ordering::SeqCst);
        Some(if failure.is_multiple_of(2) {
            Fault::Before
        } else {
            Fault::After
        })
    }
}

async fn storage_failing_one_call_in_four_still_ends_in_a_valid_archive(mut world: World) {
    let mut files = three_photos();
    files.push(("small.jpg", content(4, 10)));
    let event = world.event("Flaky").await;
    // Half the photos need their CRC computed at archive time: more calls to fail.
    world.photos(&event, &files[..2]).await;
    world
        .photos_with(
            &event,
            &files[2..],
            shared::domain::PhotoStatus::Ready,
            false,
        )
        .await;
    let code = world.code(&event, Grant::All).await;
    let archive = world.request(&event, &code, ArchiveSelection::All).await;
    let failing = Arc::new(SometimesFailing {
        one_in: 4,
        ..SometimesFailing::default()
    });
    let faults = Arc::clone(&failing);
    world.wrap_blobs(|inner| Arc::new(faulty_blobs(inner, move |call| faults.fault(call))));
    let message = World::message(&event, archive);

    let mut retries = 0;
    loop {
        assert!(retries < 200, "the build makes progress");
        match process_archive_job(&world.deps, &message, None).await {
            Ok(ArchiveOutcome::Ready { .. }) => break,
            Ok(ArchiveOutcome::Continued) => {}
            Ok(other) => panic!("unexpected outcome {other:?}"),
            // As SQS would: the message comes back and is delivered again.
            Err(e) => {
                assert!(matches!(e, Error::Transient { .. }), "{e:?}");
                retries += 1;
            }
        }
    }

    let calls = failing.calls.load(Ordering::SeqCst);
    let failures = failing.failures.load(Ordering::SeqCst);
    assert!(
        failures >= 4 && retries >= 4,
        "{calls} calls, {failures} failed, {retries} deliveries retried"
    );
    assert_eq!(
        read_with_both_readers(&world.zip(&event, archive).await),
        expected(&files)
    );
    assert_eq!(world.job(&event, archive).await.state, JobState::Done);
}

async fn two_deliveries_at_once_end_in_one_valid_archive(world: World) {
    let files = three_photos();
    let (event, archive) = requested(&world, &files).await;
    let message = World::message(&event, archive);
    let deliver = || async {
        for _ in 0..200 {
            match process_archive_job(&world.deps, &message, None).await {
                Ok(ArchiveOutcome::Ready { .. } | ArchiveOutcome::AlreadyDone(JobState::Done)) => {
                    return;
                }
                Ok(ArchiveOutcome::Continued) => {}
                Ok(other) => panic!("unexpected outcome {other:?}"),
                Err(e) => assert!(matches!(e, Error::Transient { .. }), "{e:?}"),
            }
        }
        panic!("no progress");
    };
    futures::join!(deliver(), deliver());

    assert_eq!(
        read_with_both_readers(&world.zip(&event, archive).await),
        expected(&files)
    );
    // Only the manifest the row names is left beside the archive and its selection.
    let mut objects = Vec::new();
    let mut page = PageRequest::first(100);
    loop {
        let listed = world
            .store
            .list(&format!("archives/{}/", event.event_id), &page)
            .await
            .expect("list");
        objects.extend(listed.items.into_iter().map(|o| o.key));
        match listed.next {
            Some(next) => page = PageRequest::after(100, next),
            None => break,
        }
    }
    let job = world.job(&event, archive).await;
    let manifest = job.archive.and_then(|p| p.manifest_key).expect("manifest");
    objects.sort();
    let mut wanted = vec![keys::archive(event.event_id, archive), manifest];
    wanted.sort();
    assert_eq!(objects, wanted);
}
