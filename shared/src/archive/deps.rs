//! What the archive side needs, built once per process.

use std::sync::Arc;

use aws_config::BehaviorVersion;

use crate::adapters::dynamo_catalog::{DynamoCatalog, DynamoTables};
use crate::adapters::s3_blobs::{S3Blobs, S3BlobsConfig};
use crate::adapters::sqs_queue::SqsQueue;
use crate::config::{Config, StorageMode};
use crate::error::{Error, Result};
use crate::ports::{Blobs, Catalog, Queue};

/// Ports and limits of the archive requests (gallery) and the archive builder (`archive`).
#[derive(Debug, Clone)]
pub struct ArchiveDeps {
    /// Job, event, photo and code rows.
    pub catalog: Arc<dyn Catalog>,
    /// Originals in; archives, selections and manifests out.
    pub blobs: Arc<dyn Blobs>,
    /// The queue archive jobs go to (requests send; a long build sends its next slice).
    pub jobs_queue: Arc<dyn Queue>,
    /// Most photos one archive may hold (the per-event photo limit).
    pub max_entries: u32,
}

impl ArchiveDeps {
    /// For the `archive` function: the AWS adapters from [`Config`] (endpoints from the
    /// standard `AWS_ENDPOINT_URL_*` settings). Fails naming what is missing.
    pub async fn from_env() -> Result<Self> {
        let config = Config::from_env()?;
        if config.storage != StorageMode::Aws {
            return Err(Error::internal_msg(
                "the archive function needs PICPASS_STORAGE=aws",
            ));
        }
        let missing = |name: &str| Error::internal_msg(format!("{name} is required"));
        let bucket = config
            .bucket
            .clone()
            .ok_or_else(|| missing("PICPASS_BUCKET"))?;
        let jobs_url = config
            .jobs_queue_url
            .clone()
            .ok_or_else(|| missing("PICPASS_JOBS_QUEUE_URL"))?;
        let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
        // S3-compatible endpoints on an address need path-style; AWS S3 uses host-style.
        let force_path_style = std::env::var("AWS_ENDPOINT_URL_S3")
            .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
            .is_ok();
        let blobs = S3Blobs::new(
            &sdk,
            S3BlobsConfig {
                bucket,
                force_path_style,
            },
        )
        .await?;
        Ok(Self {
            catalog: Arc::new(DynamoCatalog::from_sdk_config(
                &sdk,
                DynamoTables::with_prefix(&config.table_prefix),
            )),
            blobs: Arc::new(blobs),
            // Only sends (a long build's next slice); the function's trigger receives.
            jobs_queue: Arc::new(SqsQueue::new(
                aws_sdk_sqs::Client::new(&sdk),
                jobs_url,
                String::new(),
            )),
            max_entries: config.limits.max_photos_per_event,
        })
    }
}
