//! What the `process` function needs, built once per process.

use std::sync::Arc;

use super::deriver::PhotoDeriver;
use super::pipeline_deriver::PipelineDeriver;
use crate::config::Config;
use crate::error::Result;
use crate::ports::{Blobs, Catalog, QueueSender};
use crate::wiring::{Adapters, Function, required};

/// How long a claim on a photo lasts. The queue's visibility timeout must exceed the
/// function timeout, which must exceed this, so a crashed attempt's redelivery can take over.
pub const LEASE_SECS: i64 = 120;

/// Processing attempts a photo gets before it is marked `failed`
/// (`processing_failed_repeatedly`) instead of claimed again: attempts that crashed, panicked
/// or hit an internal error. The process queue's `maxReceiveCount` must be higher, so a
/// poison photo is recorded as failed before its message reaches the dead-letter queue.
pub const MAX_ATTEMPTS: u32 = 4;

/// What processing needs, built once per process.
#[derive(Debug, Clone)]
pub struct ProcessDeps {
    /// Photo rows.
    pub catalog: Arc<dyn Catalog>,
    /// Originals in, derivatives out.
    pub blobs: Arc<dyn Blobs>,
    /// The image pipeline.
    pub deriver: Arc<dyn PhotoDeriver>,
    /// How long a claim lasts; must be shorter than the queue's visibility timeout so that a
    /// redelivery after a crash can take over.
    pub lease_secs: i64,
    /// The largest original processed (`PICPASS_MAX_FILE_BYTES`, at most the pipeline's
    /// [`crate::domain::MAX_ORIGINAL_BYTES`]): larger ones fail before they are read.
    pub max_original_bytes: u64,
    /// The process queue, which derivative-job messages arrive on: a long job sends its
    /// next slice here.
    pub process_queue: Arc<dyn QueueSender>,
}

impl ProcessDeps {
    /// For the Lambda function: the adapters of the configured storage
    /// ([`crate::wiring::from_env`]) and the pipeline's limits from [`Config`].
    pub async fn from_env() -> Result<Self> {
        let (config, adapters) = crate::wiring::from_env(Function::Process).await?;
        Self::new(&config, adapters)
    }

    /// The deps over `adapters` (which must carry the process queue).
    pub fn new(config: &Config, adapters: Adapters) -> Result<Self> {
        Ok(Self {
            catalog: adapters.catalog,
            blobs: adapters.blobs,
            deriver: Arc::new(PipelineDeriver::with_limits(config.limits.image_limits())),
            lease_secs: LEASE_SECS,
            max_original_bytes: config.limits.max_file_bytes,
            process_queue: required(
                &adapters.process_queue,
                "PICPASS_PROCESS_QUEUE_URL",
                Function::Process,
            )?,
        })
    }
}
