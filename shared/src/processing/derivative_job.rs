//! Derivative jobs: the custom-derivative request for many photos, worked through by the
//! `process` function one photo at a time, with the job row as the progress record.
//!
//! The row is the work list: the queue message only names it. Every finished item is
//! written back (version-conditional) before the next starts, so a redelivered message —
//! after a crash, a timeout or a transient storage failure — resumes with the first item
//! that has no result, and a duplicate delivery of a finished job does nothing.
//!
//! A job can hold more work than one invocation's time: 500 custom renders of large photos
//! take minutes. Given the invocation's deadline, a delivery stops once less than
//! [`JOB_TIME_MARGIN`] is left and answers [`JobOutcome::Continued`]; the handler then sends
//! the job's message again and acks this one, so a long job moves through the queue in
//! slices instead of being cut off by the function timeout and redelivered until the redrive
//! limit sends it to the dead-letter queue. Every delivery finishes at least one item, so
//! slices always make progress.

use std::time::{Duration, Instant};

use tracing::{info, instrument, warn};

use super::custom_derivative::{DerivativeJobRequest, render_and_store};
use super::deps::ProcessDeps;
use crate::domain::{Event, Job, JobKind, JobMessage, JobState};
use crate::error::{Error, Result, RetryClass};

/// Time kept back from the deadline when deciding to start another item: more than one
/// render of the largest allowed photo plus the row write and the message send.
pub const JOB_TIME_MARGIN: Duration = Duration::from_secs(30);

/// How a derivative job message ended (for logs and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// The job, its event, or its kind is not ours to do.
    Ignored(&'static str),
    /// It was already finished.
    AlreadyDone(JobState),
    /// Out of time with items left: progress is saved and the job's message must be sent
    /// again for the rest.
    Continued {
        /// Items without a result yet.
        left: usize,
    },
    /// Finished now: how many items succeeded and failed.
    Finished {
        /// Items with a result.
        done: u32,
        /// Items that could not be made.
        failed: u32,
    },
}

/// Works through the job `message` names; with a `deadline`, only as far as it allows
/// (at least one item).
#[instrument(skip(deps), fields(event_id = %message.event_id, job_id = %message.job_id))]
pub async fn process_job(
    deps: &ProcessDeps,
    message: &JobMessage,
    deadline: Option<Instant>,
) -> Result<JobOutcome> {
    if message.kind != JobKind::Derivatives {
        return Ok(JobOutcome::Ignored("not a derivative job"));
    }
    let mut job = match deps.catalog.get_job(message.event_id, message.job_id).await {
        Ok(job) if job.kind == JobKind::Derivatives => job,
        Ok(_) => return Ok(JobOutcome::Ignored("the row is not a derivative job")),
        Err(e) if e.is_not_found() => return Ok(JobOutcome::Ignored("job deleted or expired")),
        Err(e) => return Err(e),
    };
    if matches!(job.state, JobState::Done | JobState::Failed) {
        return Ok(JobOutcome::AlreadyDone(job.state));
    }
    let event = match deps.catalog.get_event(job.event_id).await {
        Ok(event) => event,
        Err(Error::NotFound { .. } | Error::Expired { .. }) => {
            return Ok(JobOutcome::Ignored("event deleted or expired"));
        }
        Err(e) => return Err(e),
    };
    let request: DerivativeJobRequest = match serde_json::from_value(job.request.clone()) {
        Ok(request) => request,
        Err(e) => {
            // Only this code writes the row; a request it cannot read will never become
            // readable, so the job fails instead of looping through the queue.
            warn!(error = %e, "unreadable derivative job request");
            job.state = JobState::Failed;
            let job = save(deps, &job).await?;
            return Ok(JobOutcome::AlreadyDone(job.state));
        }
    };
    if job.state == JobState::Queued {
        job.state = JobState::Running;
        job = save(deps, &job).await?;
    }
    let mut worked = 0usize;
    while let Some(index) = job
        .items
        .iter()
        .position(|item| item.key.is_none() && item.error.is_none())
    {
        if worked > 0 && deadline.is_some_and(|d| Instant::now() + JOB_TIME_MARGIN >= d) {
            let left = job
                .items
                .iter()
                .filter(|item| item.key.is_none() && item.error.is_none())
                .count();
            info!(
                done = job.done,
                failed = job.failed,
                left,
                "derivative job continues in a new message"
            );
            return Ok(JobOutcome::Continued { left });
        }
        worked += 1;
        let photo_id = job.items[index].photo_id;
        let result = derive_item(deps, &event, &request, photo_id).await;
        let item = &mut job.items[index];
        match result {
            Ok(key) => {
                item.key = Some(key);
                job.done += 1;
            }
            Err(error) if error.retry_class() == RetryClass::Permanent => {
                info!(%photo_id, code = error.code(), "derivative item failed");
                item.error = Some(format!("{}: {error}", error.code()));
                job.failed += 1;
            }
            // Stop here; the redelivery picks up at this item.
            Err(error) => return Err(error),
        }
        job = save(deps, &job).await?;
    }
    job.state = if job.done == 0 && job.total > 0 {
        JobState::Failed
    } else {
        JobState::Done
    };
    let job = save(deps, &job).await?;
    info!(
        done = job.done,
        failed = job.failed,
        "derivative job finished"
    );
    Ok(JobOutcome::Finished {
        done: job.done,
        failed: job.failed,
    })
}

async fn derive_item(
    deps: &ProcessDeps,
    event: &Event,
    request: &DerivativeJobRequest,
    photo_id: crate::domain::PhotoId,
) -> Result<String> {
    let photo = match deps.catalog.get_photo(event.event_id, photo_id).await {
        Ok(photo) => photo,
        Err(e) if e.is_not_found() => {
            return Err(Error::invalid(
                "photo_not_found",
                "the photo was deleted after the job was made",
            ));
        }
        Err(e) => return Err(e),
    };
    let stored = render_and_store(
        deps.catalog.as_ref(),
        &deps.blobs,
        &deps.deriver,
        deps.max_original_bytes,
        event,
        &photo,
        &request.spec,
    )
    .await?;
    Ok(stored.key)
}

/// Writes the job conditional on its version. A conflict means another delivery of the same
/// message is working on it too: retrying later lets the winner finish and this one find the
/// job done (or resume it, if the winner crashed).
async fn save(deps: &ProcessDeps, job: &Job) -> Result<Job> {
    match deps.catalog.update_job(job).await {
        Ok(saved) => Ok(saved),
        Err(e) if e.is_conflict() => Err(Error::Transient {
            message: "the job was updated by another delivery".to_owned(),
            source: None,
        }),
        Err(e) => Err(e),
    }
}
