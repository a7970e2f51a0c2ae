//! The `archive` function's handler: an SQS batch of archive job messages in, partial
//! failures out.

use std::time::Instant;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use tracing::info;

use super::build::{ArchiveOutcome, process_archive_job};
use super::deps::ArchiveDeps;
use crate::domain::{JobKind, JobMessage};
use crate::error::{Error, Result};
use crate::processing::sqs_batch;

/// Messages of one batch handled at once: each build holds a part in memory and streams
/// for minutes, so one at a time (the queue's trigger should use batches of one).
pub const BATCH_CONCURRENCY: usize = 1;

/// Handles one batch within an invocation that ends at `deadline` (Lambda's; `None` for no
/// limit): builds longer than that hand their rest to a new message.
pub async fn handle_batch_until(
    deps: &ArchiveDeps,
    event: SqsEvent,
    deadline: Option<Instant>,
) -> SqsBatchResponse {
    sqs_batch::handle_batch(event, BATCH_CONCURRENCY, |message| async move {
        handle_body(deps, message.body.as_deref().unwrap_or_default(), deadline).await
    })
    .await
}

/// One message: `{"kind": "archive", "event_id", "job_id"}`. Anything else is dropped as
/// `Invalid` (it can never become an archive job); a retryable failure puts it back.
pub async fn handle_body(deps: &ArchiveDeps, body: &str, deadline: Option<Instant>) -> Result<()> {
    let message = match serde_json::from_str::<JobMessage>(body) {
        Ok(message) if message.kind == JobKind::Archive => message,
        _ => {
            return Err(Error::invalid(
                "not_an_archive_job",
                "the message is not an archive job",
            ));
        }
    };
    let outcome = process_archive_job(deps, &message, deadline).await?;
    if outcome == ArchiveOutcome::Continued {
        // Sent before this delivery is acked: should the send fail, the error puts this
        // message back instead, and the saved progress is kept either way.
        deps.jobs_queue.send(body).await?;
    }
    info!(job_id = %message.job_id, outcome = ?outcome, "archive message handled");
    Ok(())
}
