//! The process queue's messages: an SQS batch in (S3 notifications of uploaded originals,
//! and custom-derivative jobs), partial failures out.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use std::time::Instant;
use tracing::info;

use super::deps::ProcessDeps;
use super::derivative_job::{JobOutcome, process_job};
use super::notification::{self, Notification};
use super::sqs_batch;
use super::uploaded_original::{Outcome, process_original};
use crate::domain::JobMessage;
use crate::error::Result;
use crate::telemetry::metrics::{self, Metric};

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
            deps.process_queue.send(body).await?;
        }
        info!(job_id = %job.job_id, outcome = ?outcome, "job message handled");
        return Ok(());
    }
    handle_message(deps, body).await.map(|_| ())
}

/// Uploads, their bytes, processing time and failures (ignored, discarded and duplicate
/// deliveries are not uploads).
fn record_metrics(outcome: &Result<Outcome>, size: Option<u64>, started: Instant) {
    let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    match outcome {
        Ok(Outcome::Ready) => metrics::record(&[
            (Metric::Uploads, 1),
            (Metric::UploadBytes, size.unwrap_or(0)),
            (Metric::ProcessingMs, ms),
        ]),
        Ok(Outcome::Failed(_)) | Err(_) => {
            metrics::record(&[(Metric::ProcessingFailures, 1), (Metric::ProcessingMs, ms)])
        }
        Ok(Outcome::Ignored(_) | Outcome::Discarded(_) | Outcome::AlreadyDone(_)) => {}
    }
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
                let started = Instant::now();
                let outcome = process_original(deps, &object.key).await;
                record_metrics(&outcome, object.size, started);
                let outcome = outcome?;
                info!(key = object.key, outcome = ?outcome, "notification handled");
                outcomes.push(outcome);
            }
            Ok(outcomes)
        }
    }
}
