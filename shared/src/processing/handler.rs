//! The `process` function's handler: an SQS batch in (S3 notifications of uploaded originals,
//! and custom-derivative jobs), partial failures out.

use aws_config::BehaviorVersion;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use std::sync::Arc;
use std::time::Instant;
use tracing::info;

use super::derivative_job::{JobOutcome, process_job};
use super::notification::{self, Notification};
use super::original::{Outcome, ProcessDeps, process_original};
use super::pipeline_deriver::PipelineDeriver;
use super::sqs_batch;
use crate::adapters::dynamo_catalog::{DynamoCatalog, DynamoTables};
use crate::adapters::s3_blobs::{S3Blobs, S3BlobsConfig};
use crate::adapters::sqs_queue::SqsQueue;
use crate::config::{Config, StorageMode};
use crate::domain::JobMessage;
use crate::error::{Error, Result};

/// How long a claim on a photo lasts. The queue's visibility timeout must exceed the
/// function timeout, which must exceed this, so a crashed attempt's redelivery can take over.
pub const LEASE_SECS: i64 = 120;

/// Messages of one batch handled at once: decoding is CPU-bound, so more than the cores
/// Lambda gives only adds memory.
pub const BATCH_CONCURRENCY: usize = 2;

/// Handles one batch with no time limit (the local stack); messages whose failure may pass
/// are reported for retry.
pub async fn handle_batch(deps: &ProcessDeps, event: SqsEvent) -> SqsBatchResponse {
    handle_batch_until(deps, event, None).await
}

/// Handles one batch within an invocation that ends at `deadline` (Lambda's): long
/// derivative jobs hand their rest to a new message before it (see
/// [`super::derivative_job`]).
pub async fn handle_batch_until(
    deps: &ProcessDeps,
    event: SqsEvent,
    deadline: Option<Instant>,
) -> SqsBatchResponse {
    sqs_batch::handle_batch(event, BATCH_CONCURRENCY, |message| async move {
        handle_body(deps, message.body.as_deref().unwrap_or_default(), deadline).await
    })
    .await
}

/// One message of the queue: a derivative job (`{"kind": "derivatives", …}`, sent by the
/// API, or by an earlier slice of the same job) or an S3 notification (sent by storage).
pub async fn handle_body(deps: &ProcessDeps, body: &str, deadline: Option<Instant>) -> Result<()> {
    if let Ok(job) = serde_json::from_str::<JobMessage>(body) {
        let outcome = process_job(deps, &job, deadline).await?;
        if let JobOutcome::Continued { .. } = outcome {
            // Sent before this delivery is acked: should the send fail, the error puts this
            // message back instead, and the saved progress is kept either way.
            deps.jobs_queue.send(body).await?;
        }
        info!(job_id = %job.job_id, outcome = ?outcome, "job message handled");
        return Ok(());
    }
    handle_message(deps, body).await.map(|_| ())
}

/// Handles one S3 notification: every original it names, in order.
pub async fn handle_message(deps: &ProcessDeps, body: &str) -> Result<Vec<Outcome>> {
    match notification::parse(body)? {
        Notification::TestEvent => {
            info!("s3:TestEvent skipped");
            Ok(Vec::new())
        }
        Notification::Created(objects) => {
            let mut outcomes = Vec::with_capacity(objects.len());
            for object in objects {
                let outcome = process_original(deps, &object.key).await?;
                info!(key = object.key, outcome = ?outcome, "notification handled");
                outcomes.push(outcome);
            }
            Ok(outcomes)
        }
    }
}

impl ProcessDeps {
    /// For the Lambda function: the AWS adapters from [`Config`] (endpoints from the
    /// standard `AWS_ENDPOINT_URL_*` settings) and the pipeline's limits from it.
    pub async fn from_env() -> Result<Self> {
        let config = Config::from_env()?;
        if config.storage != StorageMode::Aws {
            return Err(Error::internal_msg(
                "the process function needs PICPASS_STORAGE=aws",
            ));
        }
        let bucket = config
            .bucket
            .clone()
            .ok_or_else(|| Error::internal_msg("PICPASS_BUCKET is required"))?;
        let jobs_url = config
            .process_queue_url
            .clone()
            .ok_or_else(|| Error::internal_msg("PICPASS_PROCESS_QUEUE_URL is required"))?;
        let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
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
            deriver: Arc::new(PipelineDeriver::with_limits(config.limits.image_limits())),
            lease_secs: LEASE_SECS,
            // Only sends (a long job's next slice); the function's trigger receives.
            jobs_queue: Arc::new(SqsQueue::new(
                aws_sdk_sqs::Client::new(&sdk),
                jobs_url,
                String::new(),
            )),
        })
    }
}
