//! The viewer side: ask for an archive, poll its status. The gallery calls these after it has
//! checked the viewer's token (event, code, not revoked or expired).
//!
//! The same request (same code, same selection) while an archive for it is queued, building
//! or ready returns that archive instead of new work: its id is derived from the request
//! ([`selection::archive_id`]), attempt 0 first, and the next attempt only once the
//! previous one failed or expired. An archive belongs to the code that asked for it: any
//! other code gets `NotFound`.

use serde::Serialize;
use tracing::info;

use super::deps::ArchiveDeps;
use super::lifetime;
use super::selection::{self, ArchiveRequest, ArchiveSelection};
use crate::domain::{
    AccessCode, Event, Job, JobFailure, JobId, JobKind, JobMessage, JobState, Timestamp,
    download_name,
};
use crate::error::{Error, Result};
use crate::ports::Presign;

/// How many archives one request may have made (each failed or expired) before it is
/// refused: a bound on the ids tried per request.
pub const MAX_ATTEMPTS: u32 = 64;

/// Longest life of a download URL (never past the archive's own expiry).
pub const DOWNLOAD_URL_SECS: i64 = 3600;

/// What [`request_archive`] answers (`202 {archive_id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchiveRequested {
    /// The archive to poll.
    pub archive_id: JobId,
    /// True when an archive already queued, building or ready was returned.
    #[serde(skip)]
    pub reused: bool,
}

/// An archive's state as the API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArchiveState {
    /// Waiting for a worker.
    Queued,
    /// Being built.
    Building,
    /// Ready to download.
    Ready,
    /// Gave up (see `error`).
    Failed,
}

/// `GET …/archives/{archive_id}`: `{state, done, total, url?, expires_at?, error?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchiveStatus {
    /// Where it is.
    pub state: ArchiveState,
    /// Photos written so far.
    pub done: u32,
    /// Photos in the archive (for `all`, known once the build has started; 0 before).
    pub total: u32,
    /// Signed download URL, when ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// When the archive stops being offered, when ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// Why it failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<JobFailure>,
}

/// Asks for the archive of `selection` on behalf of `code` (already checked by the caller:
/// of this event, not revoked, not expired). Returns the archive to poll: an existing one
/// for the same request while it is live, else a new job, queued.
pub async fn request_archive(
    deps: &ArchiveDeps,
    event: &Event,
    code: &AccessCode,
    selection: ArchiveSelection,
    now: Timestamp,
) -> Result<ArchiveRequested> {
    if code.event_id != event.event_id {
        return Err(Error::not_found("code_not_found", "no such access code"));
    }
    if code.revoked_at.is_some() || code.valid_until.is_some_and(|t| t.has_passed(now)) {
        return Err(Error::expired(
            "code_revoked",
            "the access code was revoked or has expired",
        ));
    }
    let selection = selection.normalised(code, deps.max_entries)?;
    let photo_count = match &selection {
        ArchiveSelection::All => None,
        ArchiveSelection::Photos(ids) => Some(u32::try_from(ids.len()).unwrap_or(u32::MAX)),
    };
    for attempt in 0..MAX_ATTEMPTS {
        let archive_id = selection::archive_id(event.event_id, &code.code_key, &selection, attempt);
        let existing = match deps.catalog.get_job(event.event_id, archive_id).await {
            Ok(job) => Some(job),
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(e),
        };
        let job = match existing {
            Some(job) => job,
            None => {
                let job = new_job(event, archive_id, &code.code_key, photo_count, attempt, now)?;
                match deps.catalog.insert_job(&job).await {
                    Ok(()) => {
                        queue(deps, &job, &selection).await?;
                        info!(%archive_id, attempt, "archive requested");
                        return Ok(ArchiveRequested {
                            archive_id,
                            reused: false,
                        });
                    }
                    // The same request at the same moment: take the one that got in.
                    Err(e) if e.is_conflict() => {
                        deps.catalog.get_job(event.event_id, archive_id).await?
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        if !lifetime::is_live(&job, now) {
            continue;
        }
        if job.state == JobState::Queued {
            // The request that made it may have failed between its row and its message;
            // sending again is harmless (a build ignores what is already done).
            queue(deps, &job, &selection).await?;
        }
        return Ok(ArchiveRequested {
            archive_id,
            reused: true,
        });
    }
    Err(Error::conflict(
        "too_many_archives",
        "this selection has been archived too many times; select photos again",
    ))
}

fn new_job(
    event: &Event,
    archive_id: JobId,
    code_key: &str,
    photo_count: Option<u32>,
    attempt: u32,
    now: Timestamp,
) -> Result<Job> {
    let request = ArchiveRequest {
        code_key: code_key.to_owned(),
        photo_count,
        attempt,
    };
    Ok(Job {
        event_id: event.event_id,
        job_id: archive_id,
        kind: JobKind::Archive,
        state: JobState::Queued,
        total: photo_count.unwrap_or(0),
        done: 0,
        failed: 0,
        items: Vec::new(),
        request: serde_json::to_value(&request)
            .map_err(|e| Error::internal("archive request", e))?,
        result_key: None,
        created_at: now,
        expires_at: event.expires_at,
        version: 0,
        archive: None,
    })
}

/// Stores an explicit selection (idempotent: the same ids under the same key) and sends the
/// job's message.
async fn queue(deps: &ArchiveDeps, job: &Job, selection: &ArchiveSelection) -> Result<()> {
    if let ArchiveSelection::Photos(ids) = selection {
        selection::store_selection(deps.blobs.as_ref(), job.event_id, job.job_id, ids).await?;
    }
    let message = JobMessage {
        kind: JobKind::Archive,
        event_id: job.event_id,
        job_id: job.job_id,
    };
    let body = serde_json::to_string(&message).map_err(|e| Error::internal("job message", e))?;
    deps.jobs_queue.send(&body).await
}

/// The status of archive `archive_id` for the viewer holding code `code_key`: `NotFound` if
/// it is not that code's archive, `Expired` (`archive_expired`) once past its lifetime.
/// A ready archive comes with a signed URL that saves it as `<event name>.zip`.
pub async fn archive_status(
    deps: &ArchiveDeps,
    event: &Event,
    code_key: &str,
    archive_id: JobId,
    now: Timestamp,
) -> Result<ArchiveStatus> {
    let not_found = || Error::not_found("archive_not_found", "no such archive");
    let job = match deps.catalog.get_job(event.event_id, archive_id).await {
        Ok(job) => job,
        Err(e) if e.is_not_found() => return Err(not_found()),
        Err(e) => return Err(e),
    };
    let request: Option<ArchiveRequest> = serde_json::from_value(job.request.clone()).ok();
    if job.kind != JobKind::Archive || request.is_none_or(|r| r.code_key != code_key) {
        return Err(not_found());
    }
    let expires_at = lifetime::expires_at(&job);
    if expires_at.has_passed(now) {
        return Err(Error::expired(
            "archive_expired",
            "this archive has expired; ask for it again",
        ));
    }
    let mut status = ArchiveStatus {
        state: match job.state {
            JobState::Queued => ArchiveState::Queued,
            JobState::Running => ArchiveState::Building,
            JobState::Done => ArchiveState::Ready,
            JobState::Failed => ArchiveState::Failed,
        },
        done: job.done,
        total: job.total,
        url: None,
        expires_at: None,
        error: job.archive.as_ref().and_then(|p| p.failure.clone()),
    };
    if let (JobState::Done, Some(key)) = (job.state, &job.result_key) {
        let lifetime = (expires_at.epoch_secs() - now.epoch_secs()).min(DOWNLOAD_URL_SECS);
        let disposition = download_name::attachment(&format!("{}.zip", event.name), "photos.zip");
        let request = deps.blobs.presign_get(
            key,
            Some(&disposition),
            Presign {
                signed_at: now,
                expires_in_secs: u64::try_from(lifetime).unwrap_or(1).max(1),
            },
        )?;
        status.url = Some(request.url);
        status.expires_at = Some(expires_at);
    }
    Ok(status)
}
