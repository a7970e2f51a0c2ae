//! Background jobs: zip archives and custom-derivative batches, with progress.

use serde::{Deserialize, Serialize};

use super::ids::{EventId, JobId, PhotoId};
use super::time::Timestamp;

/// What a job builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// A zip of a viewer's selection.
    Archive,
    /// Custom derivatives of many photos.
    Derivatives,
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting in the queue.
    Queued,
    /// A worker is on it.
    Running,
    /// Finished (possibly with some failed items).
    Done,
    /// Gave up.
    Failed,
}

/// One photo's outcome in a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobItem {
    /// The photo.
    pub photo_id: PhotoId,
    /// Object key of the result, when done.
    pub key: Option<String>,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

/// A job row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Its event.
    pub event_id: EventId,
    /// Id.
    pub job_id: JobId,
    /// Archive or derivatives.
    pub kind: JobKind,
    /// State.
    pub state: JobState,
    /// Items to do.
    pub total: u32,
    /// Items done.
    pub done: u32,
    /// Items failed.
    pub failed: u32,
    /// Per-item outcomes.
    pub items: Vec<JobItem>,
    /// The request that made it (the spec, the selection, the code it was made with), as the
    /// feature that owns it serialises it.
    pub request: serde_json::Value,
    /// Object key of the single result (archives).
    pub result_key: Option<String>,
    /// When it was made.
    pub created_at: Timestamp,
    /// When the row is gone (TTL attribute).
    pub expires_at: Timestamp,
    /// Optimistic-concurrency version, bumped by every update.
    pub version: u64,
}

/// The queue message that starts a job: which row to work through. The row holds the work;
/// the message only points at it, so a redelivered message resumes where the last left off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobMessage {
    /// What the job builds (the consumer checks it against the row).
    pub kind: JobKind,
    /// The event.
    pub event_id: EventId,
    /// The job row.
    pub job_id: JobId,
}
