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
    /// How far an archive has got; `None` for other kinds (and for an archive not started).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive: Option<ArchiveProgress>,
}

/// Why a job gave up, as shown to whoever asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobFailure {
    /// Stable code (`nothing_to_archive`, `photo_deleted`, …).
    pub code: String,
    /// Human sentence.
    pub message: String,
}

/// An archive's progress record: small and of fixed size whatever the selection (the
/// selection and the list of entries live in objects beside the archive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ArchiveProgress {
    /// The object listing every entry (name, size, CRC-32), once the selection is
    /// resolved. Written once per key: a new key replaces it when more CRCs are known.
    pub manifest_key: Option<String>,
    /// The multipart upload, once started.
    pub upload: Option<ArchiveUpload>,
    /// When the archive was complete (it expires a fixed time after).
    pub ready_at: Option<Timestamp>,
    /// Why it failed, when it did.
    pub failure: Option<JobFailure>,
}

/// An archive's multipart upload: its plan and how many parts are stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveUpload {
    /// The storage's upload id.
    pub upload_id: String,
    /// The archive's exact size.
    pub archive_bytes: u64,
    /// Bytes of every part but the last.
    pub part_bytes: u64,
    /// Number of parts.
    pub part_count: u32,
    /// Parts 1 to `parts_done` are stored.
    pub parts_done: u32,
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
