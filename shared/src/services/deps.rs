//! What the photographer API's handlers need, built once per process.

use std::sync::Arc;

use super::limits::ApiLimits;
use crate::codes_vault::CodeVault;
use crate::ports::{Blobs, Catalog, Queue};

/// Ports and settings shared by every request of the `presign` and `events` functions.
#[derive(Debug, Clone)]
pub struct Deps {
    /// Events, photos, codes, users, jobs.
    pub catalog: Arc<dyn Catalog>,
    /// Originals and derivatives.
    pub blobs: Arc<dyn Blobs>,
    /// The processor's queue (a retried photo is sent here, shaped like S3's notification).
    pub process_queue: Arc<dyn Queue>,
    /// Custom-derivative jobs.
    pub derive_queue: Arc<dyn Queue>,
    /// Hashes and seals access codes.
    pub vault: CodeVault,
    /// Sizes, counts and URL lifetimes.
    pub limits: ApiLimits,
    /// The bucket named in re-queued S3 notifications.
    pub bucket: String,
}
