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

/// The variable holding the access-code secret (≥ 32 bytes; 64+ hex digits are decoded).
pub const CODE_SECRET_VAR: &str = "PICPASS_CODE_SECRET";

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

impl Deps {
    /// For a Lambda function: reads [`Config`] and the code secret from the environment and
    /// builds the AWS adapters (DynamoDB, S3, SQS; endpoints from the standard
    /// `AWS_ENDPOINT_URL_*` settings). Fails with a message naming what is missing.
    pub async fn from_env() -> Result<Self> {
        let config = Config::from_env()?;
        let secret = std::env::var(CODE_SECRET_VAR).map_err(|_| {
            Error::internal_msg(format!("{CODE_SECRET_VAR} must be set (at least 32 bytes)"))
        })?;
        Self::on_aws(&config, &decode_secret(&secret)).await
    }

    /// The AWS adapters for `config` (which must be `PICPASS_STORAGE=aws`: the local stack
    /// builds its own in-process deps).
    pub async fn on_aws(config: &Config, code_secret: &[u8]) -> Result<Self> {
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
                bucket: bucket.clone(),
                force_path_style,
            },
        )
        .await?;
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        // These functions only send; the dead-letter queues are read by operators.
        let process_queue = SqsQueue::new(sqs.clone(), process_url, String::new());
        let derive_queue = SqsQueue::new(sqs, jobs_url, String::new());
        Ok(Self {
            catalog: Arc::new(DynamoCatalog::from_sdk_config(
                &sdk,
                DynamoTables::with_prefix(&config.table_prefix),
            )),
            blobs: Arc::new(blobs),
            process_queue: Arc::new(process_queue),
            derive_queue: Arc::new(derive_queue),
            vault: CodeVault::from_secret(code_secret)?,
            limits: ApiLimits::from_config(&config.limits)?,
            bucket,
        })
    }
}

/// A secret given as 64 or more hex digits is decoded; anything else is used as bytes.
pub fn decode_secret(text: &str) -> Vec<u8> {
    let t = text.trim();
    if t.len() >= 64 && t.len().is_multiple_of(2) && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(t).unwrap_or_else(|_| t.as_bytes().to_vec())
    } else {
        t.as_bytes().to_vec()
    }
}
