//! What the archive side needs, built once per process.

use std::sync::Arc;

use crate::config::Config;
use crate::error::Result;
use crate::ports::{Blobs, Catalog, QueueSender};
use crate::wiring::{Adapters, Function, required};

/// Ports and limits of the archive requests (gallery) and the archive builder (`archive`).
#[derive(Debug, Clone)]
pub struct ArchiveDeps {
    /// Job, event, photo and code rows.
    pub catalog: Arc<dyn Catalog>,
    /// Originals in; archives, selections and manifests out.
    pub blobs: Arc<dyn Blobs>,
    /// The queue archive jobs go to (requests send; a long build sends its next slice).
    pub jobs_queue: Arc<dyn QueueSender>,
    /// Most photos one archive may hold (the per-event photo limit).
    pub max_entries: u32,
}

impl ArchiveDeps {
    /// For the `archive` function: the adapters of the configured storage
    /// ([`crate::wiring::from_env`]). Fails naming what is missing.
    pub async fn from_env() -> Result<Self> {
        let (config, adapters) = crate::wiring::from_env(Function::Archive).await?;
        Self::new(&config, adapters, Function::Archive)
    }

    /// The deps over `adapters` (which must carry the jobs queue), for `function`.
    pub fn new(config: &Config, adapters: Adapters, function: Function) -> Result<Self> {
        Ok(Self {
            catalog: adapters.catalog,
            blobs: adapters.blobs,
            jobs_queue: required(&adapters.jobs_queue, "PICPASS_JOBS_QUEUE_URL", function)?,
            max_entries: config.limits.max_photos_per_event,
        })
    }
}
