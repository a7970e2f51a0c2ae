//! How long an archive lives: 24 hours after it became ready (or, for one never finished,
//! after it was asked for). Past that the status route no longer offers it, the same
//! request builds a new one, and [`super::sweep`] deletes its objects. In AWS an S3
//! lifecycle rule on `archives/` (expire after 2 days, abort incomplete multipart uploads)
//! backs this up should the reaper fall behind.

use crate::domain::{Job, JobState, Timestamp};

/// An archive's lifetime in seconds.
pub const ARCHIVE_LIFETIME_SECS: i64 = 24 * 60 * 60;

/// When the archive of `job` stops being offered.
pub fn expires_at(job: &Job) -> Timestamp {
    let since = job
        .archive
        .as_ref()
        .and_then(|progress| progress.ready_at)
        .unwrap_or(job.created_at);
    since.plus_secs(ARCHIVE_LIFETIME_SECS)
}

/// Whether `job` still stands for an archive that is, or will be, downloadable at `now`.
pub fn is_live(job: &Job, now: Timestamp) -> bool {
    job.state != JobState::Failed && !expires_at(job).has_passed(now)
}
