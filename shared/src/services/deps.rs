//! What the photographer API's handlers need, built once per process.

use std::sync::Arc;

use aws_config::BehaviorVersion;

use super::limits::ApiLimits;
use crate::adapters::dynamo_catalog::{DynamoCatalog, DynamoTables};
use crate::adapters::s3_blobs::{S3Blobs, S3BlobsConfig};
use crate::adapters::sqs_queue::SqsQueue;
use crate::codes_vault::CodeVault;
use crate::config::{Config, StorageMode};
use crate::error::{Error, Result};
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
    /// Custom-derivative jobs (in AWS the process queue: `process` does all image work).
    pub derive_queue: Arc<dyn Queue>,
    /// Hashes and seals access codes.
    pub vault: CodeVault,
    /// Sizes, counts and URL lifetimes.
    pub limits: ApiLimits,
    /// The bucket named in re-queued S3 notifications.
    pub bucket: String,
}

impl Deps {
    /// For a Lambda function: reads [`Config`] from the environment and builds the AWS
    /// adapters (DynamoDB, S3, SQS; endpoints from the standard `AWS_ENDPOINT_URL_*`
    /// settings). Fails with a message naming what is missing.
    pub async fn from_env() -> Result<Self> {
        Self::on_aws(&Config::from_env()?).await
    }

    /// The AWS adapters for `config` (which must be `PICPASS_STORAGE=aws`: the local stack
    /// builds its own in-process deps).
    pub async fn on_aws(config: &Config) -> Result<Self> {
        if config.storage != StorageMode::Aws {
            return Err(Error::internal_msg(
                "the Lambda functions need PICPASS_STORAGE=aws; run `picpass serve` for local storage",
            ));
        }
        let missing = |name: &str| Error::internal_msg(format!("{name} is required"));
        let bucket = config
            .bucket
            .clone()
            .ok_or_else(|| missing("PICPASS_BUCKET"))?;
        let process_url = config
            .process_queue_url
            .clone()
            .ok_or_else(|| missing("PICPASS_PROCESS_QUEUE_URL"))?;
        let code_secret = config
            .code_secret
            .as_ref()
            .ok_or_else(|| missing("PICPASS_CODE_SECRET"))?;
        let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
        // S3-compatible endpoints on an address need path-style; AWS S3 uses host-style.
        let force_path_style = std::env::var("AWS_ENDPOINT_URL_S3")
            .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
            .is_ok();
        let blobs = S3Blobs::new(
            &sdk,
            S3BlobsConfig {
                bucket: bucket.clone(),
                force_path_style,
            },
        )
        .await?;
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        // These functions only send; the dead-letter queues are read by operators.
        let process_queue = Arc::new(SqsQueue::new(sqs, process_url, String::new()));
        Ok(Self {
            catalog: Arc::new(DynamoCatalog::from_sdk_config(
                &sdk,
                DynamoTables::with_prefix(&config.table_prefix),
            )),
            blobs: Arc::new(blobs),
            process_queue: process_queue.clone(),
            derive_queue: process_queue,
            vault: CodeVault::from_secret(code_secret.expose())?,
            limits: ApiLimits::from_config(&config.limits)?,
            bucket,
        })
    }
}
