//! Deleting archives past their lifetime (the reaper's daily run calls this).
//!
//! The rule: an object under `archives/{event_id}/{archive_id}.…` (the zip, its manifest,
//! its selection) is deleted once its job row is gone (the event was deleted or expired),
//! its job failed, or the archive is past [`lifetime::expires_at`]; an unfinished multipart
//! upload named by such a job is aborted. Everything else is kept. Because archives are
//! deleted a day after they are made, `archives/` only ever holds about a day of them, so
//! listing it whole each day is cheap.

use std::collections::HashMap;

use tracing::{info, warn};

use super::lifetime;
use crate::domain::{Cursor, EventId, JobId, JobState, PageRequest, Timestamp, keys};
use crate::error::Result;
use crate::ports::{Blobs, Catalog};

/// What one page of the sweep did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SweepPage {
    /// Objects deleted.
    pub deleted: u64,
    /// Objects looked at.
    pub seen: u64,
    /// Where the next page starts; `None` when the sweep is done.
    pub next: Option<Cursor>,
}

/// Sweeps one page of `archives/` (see the module's rule). Call again with
/// `PageRequest::after(limit, next)` until `next` is `None`.
pub async fn sweep_archives(
    catalog: &dyn Catalog,
    blobs: &dyn Blobs,
    now: Timestamp,
    page: &PageRequest,
) -> Result<SweepPage> {
    let listed = blobs.list(keys::ARCHIVES_PREFIX, page).await?;
    let mut verdicts: HashMap<(EventId, JobId), bool> = HashMap::new();
    let mut result = SweepPage {
        next: listed.next,
        ..SweepPage::default()
    };
    for object in listed.items {
        result.seen += 1;
        let Some(archive) = keys::parse_archive_object(&object.key) else {
            warn!(
                key = object.key,
                "object under archives/ that is not an archive's; left alone"
            );
            continue;
        };
        let expired = match verdicts.get(&archive) {
            Some(expired) => *expired,
            None => {
                let expired = archive_is_over(catalog, blobs, archive, now).await?;
                verdicts.insert(archive, expired);
                expired
            }
        };
        if expired {
            blobs.delete(&object.key).await?;
            result.deleted += 1;
        }
    }
    if result.deleted > 0 {
        info!(
            deleted = result.deleted,
            seen = result.seen,
            "expired archive objects deleted"
        );
    }
    Ok(result)
}

/// Whether the archive's objects should go; aborts its upload if it never finished.
async fn archive_is_over(
    catalog: &dyn Catalog,
    blobs: &dyn Blobs,
    (event, archive): (EventId, JobId),
    now: Timestamp,
) -> Result<bool> {
    let job = match catalog.get_job(event, archive).await {
        Ok(job) => job,
        Err(e) if e.is_not_found() => return Ok(true),
        Err(e) => return Err(e),
    };
    if lifetime::is_live(&job, now) {
        return Ok(false);
    }
    if job.state != JobState::Done
        && let Some(upload) = job.archive.as_ref().and_then(|p| p.upload.as_ref())
    {
        blobs
            .abort_multipart(&keys::archive(event, archive), &upload.upload_id)
            .await?;
    }
    Ok(true)
}
