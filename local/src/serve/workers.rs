//! What runs beside the HTTP server, doing what AWS's managed pieces do:
//!
//! - the upload notifier: S3 event notifications of `originals/` into the process queue;
//! - queue consumers: Lambda's SQS event source mapping — a batch received, handed to the
//!   function's own batch handler with a deadline inside the visibility timeout, the
//!   messages it reports as failed given back (with a growing delay), the rest deleted;
//! - the reaper on a timer (EventBridge's schedule).
//!
//! On shutdown a consumer stops receiving and lets its batch finish for a grace period;
//! a batch still running then is given back to the queue (visible at once), so the next
//! start redoes it. Handlers are idempotent (claims and progress in the catalog), so work
//! is redone, never lost or done twice.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use serde_json::json;
use shared::adapters::FsBlobs;
use shared::adapters::fs_blobs::ObjectCreated;
use shared::domain::{Timestamp, keys};
use shared::ports::queue::{Delivery, QueueConsumer, QueueSender};
use shared::reaping::{self, ReaperDeps};
use shared::services::photos::s3_created_notification;
use shared::wiring::local::LOCAL_BUCKET;
use tokio::sync::{mpsc, watch};

/// Messages received at once (SQS's largest batch).
const BATCH: u32 = 10;
/// Longest wait of one receive (a long poll).
const RECEIVE_WAIT: Duration = Duration::from_secs(1);
/// Time kept between a batch's deadline and its visibility timeout, for the handler to hand
/// its work on before the message reappears.
const DEADLINE_MARGIN: Duration = Duration::from_secs(30);

/// Whether the server is stopping; consumers watch it.
pub type Stop = watch::Receiver<bool>;

/// Resolves once `stop` says so (at once if it already has).
pub async fn stopped(stop: &mut Stop) {
    let _ = stop.wait_for(|stopping| *stopping).await;
}

/// Resolves `grace` after `stop` says so.
async fn grace_after_stop(stop: &mut Stop, grace: Duration) {
    stopped(stop).await;
    tokio::time::sleep(grace).await;
}

/// How long a failed message waits before it is received again.
fn retry_delay(receive_count: u32) -> Duration {
    Duration::from_secs(u64::from(receive_count).saturating_mul(5).min(60))
}

/// The SQS event Lambda would hand the function for these deliveries.
fn sqs_event(deliveries: &[Delivery]) -> serde_json::Result<SqsEvent> {
    let records: Vec<_> = deliveries
        .iter()
        .map(|d| {
            json!({
                "messageId": d.message_id,
                "receiptHandle": d.receipt,
                "body": d.body,
                "attributes": {"ApproximateReceiveCount": d.receive_count.to_string()},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "awsRegion": "local",
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records }))
}

/// Consumes `queue` until `stop`, handing each batch to `handle`.
pub async fn consume<H, Fut>(
    name: &'static str,
    queue: Arc<dyn QueueConsumer>,
    visibility: Duration,
    mut stop: Stop,
    grace: Duration,
    handle: H,
) where
    H: Fn(SqsEvent, Instant) -> Fut,
    Fut: Future<Output = SqsBatchResponse>,
{
    loop {
        let received = tokio::select! {
            () = stopped(&mut stop) => break,
            received = queue.receive(BATCH, RECEIVE_WAIT) => received,
        };
        let deliveries = match received {
            Ok(deliveries) if deliveries.is_empty() => continue,
            Ok(deliveries) => deliveries,
            Err(error) => {
                tracing::warn!(queue = name, %error, "receive failed; trying again");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let event = match sqs_event(&deliveries) {
            Ok(event) => event,
            Err(error) => {
                tracing::error!(queue = name, %error, "a batch could not be shaped as an SQS event");
                for delivery in &deliveries {
                    release(
                        name,
                        queue.as_ref(),
                        delivery,
                        retry_delay(delivery.receive_count),
                    )
                    .await;
                }
                continue;
            }
        };
        let deadline = Instant::now() + visibility.saturating_sub(DEADLINE_MARGIN);
        let handled = handle(event, deadline);
        let outcome = tokio::select! {
            response = handled => Some(response),
            () = grace_after_stop(&mut stop, grace) => None,
        };
        match outcome {
            Some(response) => settle(name, queue.as_ref(), deliveries, &response).await,
            None => {
                for delivery in &deliveries {
                    release(name, queue.as_ref(), delivery, Duration::ZERO).await;
                }
                tracing::info!(
                    queue = name,
                    messages = deliveries.len(),
                    "batch handed back at shutdown"
                );
                break;
            }
        }
    }
    tracing::debug!(queue = name, "consumer stopped");
}

/// Deletes the handled messages and gives back those the handler reported as failed.
async fn settle(
    name: &'static str,
    queue: &dyn QueueConsumer,
    deliveries: Vec<Delivery>,
    response: &SqsBatchResponse,
) {
    for delivery in deliveries {
        let failed = response
            .batch_item_failures
            .iter()
            .any(|f| f.item_identifier == delivery.message_id);
        if failed {
            release(name, queue, &delivery, retry_delay(delivery.receive_count)).await;
        } else if let Err(error) = queue.ack(&delivery).await {
            // It reappears after its visibility timeout and is handled again (idempotently).
            tracing::warn!(queue = name, %error, message_id = delivery.message_id, "ack failed");
        }
    }
}

async fn release(
    name: &'static str,
    queue: &dyn QueueConsumer,
    delivery: &Delivery,
    delay: Duration,
) {
    if let Err(error) = queue.release(delivery, delay).await {
        tracing::warn!(queue = name, %error, message_id = delivery.message_id, "release failed; the message reappears after its visibility timeout");
    }
}

/// Turns stored originals into process-queue messages, as S3's notification configuration
/// (prefix `originals/`) does. Runs until every sender of `created` is gone (the blob store
/// is dropped at shutdown), so a notification of a finished upload is never dropped.
pub async fn notify_uploads(
    mut created: mpsc::UnboundedReceiver<ObjectCreated>,
    queue: Arc<dyn QueueSender>,
) {
    while let Some(object) = created.recv().await {
        if !object.key.starts_with(keys::ORIGINALS_PREFIX) {
            continue;
        }
        let body = s3_created_notification(LOCAL_BUCKET, &object.key, object.bytes);
        let mut delay = Duration::from_millis(100);
        while let Err(error) = queue.send(&body).await {
            tracing::warn!(%error, key = object.key, "queueing an upload notification failed; retrying");
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }
}

/// Multipart uploads left unfinished this long are removed (the AWS template's lifecycle
/// rule aborts them after a day too).
pub const STALE_UPLOAD: Duration = Duration::from_secs(86_400);

/// Sweeps every `every` until `stop`: expired events, deleted leftovers, old archives, and
/// multipart uploads abandoned for a day.
pub async fn reap_on_timer(deps: ReaperDeps, blobs: Arc<FsBlobs>, every: Duration, mut stop: Stop) {
    loop {
        tokio::select! {
            () = stopped(&mut stop) => break,
            () = tokio::time::sleep(every) => {}
        }
        match reaping::sweep(&deps, Timestamp::now()).await {
            Ok(report) => tracing::debug!(?report, "reaper sweep done"),
            Err(error) => tracing::warn!(%error, "reaper sweep failed; the next one continues"),
        }
        if let Err(error) = blobs.abort_stale_uploads(STALE_UPLOAD).await {
            tracing::warn!(%error, "removing stale uploads failed; the next sweep retries");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_become_the_sqs_event_lambda_would_get() {
        let deliveries = vec![Delivery {
            message_id: "m-1".to_owned(),
            body: "{\"a\":1}".to_owned(),
            receipt: "r-1".to_owned(),
            receive_count: 3,
        }];
        let event = sqs_event(&deliveries).expect("event");
        assert_eq!(event.records.len(), 1);
        let record = &event.records[0];
        assert_eq!(record.message_id.as_deref(), Some("m-1"));
        assert_eq!(record.body.as_deref(), Some("{\"a\":1}"));
        assert_eq!(
            record
                .attributes
                .get("ApproximateReceiveCount")
                .map(String::as_str),
            Some("3")
        );
    }

    #[test]
    fn retries_wait_longer_each_time_up_to_a_minute() {
        assert_eq!(retry_delay(1), Duration::from_secs(5));
        assert_eq!(retry_delay(3), Duration::from_secs(15));
        assert_eq!(retry_delay(100), Duration::from_secs(60));
    }
}
