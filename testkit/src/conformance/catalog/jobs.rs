//! Archive and derivative jobs.

use shared::domain::{ArchiveProgress, ArchiveUpload, JobId, JobItem, JobKind, JobState, PhotoId};
use shared::ports::Catalog;

use super::builders::*;
use super::checks::*;

/// A job reads back as written and updates are conditional on `version`.
pub async fn job_round_trips_and_updates_conditionally(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let job = new_job(&event);
    catalog.insert_job(&job).await.expect("insert");
    assert_eq!(
        catalog
            .get_job(event.event_id, job.job_id)
            .await
            .expect("get"),
        job
    );
    let mut running = job.clone();
    running.state = JobState::Running;
    running.done = 1;
    running.items = vec![JobItem {
        photo_id: PhotoId::generate(),
        key: Some("archives/x.zip".to_owned()),
        error: None,
    }];
    running.archive = Some(ArchiveProgress {
        manifest_key: Some("archives/e/a.manifest-1.json".to_owned()),
        upload: Some(ArchiveUpload {
            upload_id: "upload-1".to_owned(),
            archive_bytes: 5_000_000_000,
            part_bytes: 8 << 20,
            part_count: 597,
            parts_done: 3,
        }),
        ready_at: None,
        failure: None,
    });
    let updated = catalog.update_job(&running).await.expect("update");
    assert_eq!(updated.version, job.version + 1);
    assert_eq!(updated.items, running.items);
    assert_eq!(updated.archive, running.archive);
    assert_eq!(
        catalog
            .get_job(event.event_id, job.job_id)
            .await
            .expect("get"),
        updated
    );
    let mut stale = job.clone();
    stale.state = JobState::Failed;
    expect_err!(catalog.update_job(&stale).await, Conflict);
    assert_eq!(
        catalog
            .get_job(event.event_id, job.job_id)
            .await
            .expect("get")
            .state,
        JobState::Running
    );
    expect_err!(catalog.update_job(&new_job(&event)).await, NotFound);
}

/// A second job with the same id is `Conflict`.
pub async fn duplicate_job_conflicts(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    let job = new_job(&event);
    catalog.insert_job(&job).await.expect("insert");
    let mut dup = job.clone();
    dup.kind = JobKind::Derivatives;
    expect_err!(catalog.insert_job(&dup).await, Conflict);
    assert_eq!(
        catalog
            .get_job(event.event_id, job.job_id)
            .await
            .expect("get")
            .kind,
        JobKind::Archive
    );
}

/// Unknown jobs and job rows past their `expires_at` are `NotFound`.
pub async fn missing_or_expired_job_is_not_found(catalog: &dyn Catalog) {
    let event = insert_live_event(catalog).await;
    expect_err!(
        catalog.get_job(event.event_id, JobId::generate()).await,
        NotFound
    );
    let mut job = new_job(&event);
    job.expires_at = past();
    catalog.insert_job(&job).await.expect("insert");
    expect_err!(catalog.get_job(event.event_id, job.job_id).await, NotFound);
    expect_err!(catalog.update_job(&job).await, NotFound);
    let other = insert_live_event(catalog).await;
    let live = new_job(&event);
    catalog.insert_job(&live).await.expect("insert live");
    expect_err!(catalog.get_job(other.event_id, live.job_id).await, NotFound);
}
