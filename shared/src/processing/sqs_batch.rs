//! One way for every SQS-triggered function to report partial batch failures: messages whose
//! handling failed with a retryable error go back to the queue (and to the DLQ after the
//! redrive limit); permanent failures were already recorded by the handler and are dropped.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures::StreamExt;
use std::future::Future;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::{Result, RetryClass};

/// Handles every message of `event` with at most `concurrency` in flight, and returns the
/// ids of those to retry.
pub async fn handle_batch<F, Fut>(
    event: SqsEvent,
    concurrency: usize,
    handle: F,
) -> SqsBatchResponse
where
    F: Fn(SqsMessage) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let outcomes: Vec<(Option<String>, Result<()>)> = futures::stream::iter(event.records)
        .map(|message| {
            let id = message.message_id.clone();
            let fut = handle(message);
            async move { (id, fut.await) }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;

    let mut response = SqsBatchResponse::default();
    for (message_id, outcome) in outcomes {
        let Err(error) = outcome else { continue };
        let message_id = message_id.unwrap_or_default();
        match error.retry_class() {
            RetryClass::Retry => {
                tracing::warn!(message_id, error = %error, source = ?std::error::Error::source(&error), "message will be retried");
                response.add_failure(message_id);
            }
            RetryClass::Permanent => {
                tracing::error!(message_id, code = error.code(), error = %error, "message dropped: retrying cannot help");
            }
        }
    }
    response
}

/// An invocation's deadline (milliseconds since the epoch, as the Lambda runtime gives it)
/// as an `Instant`, for handlers that hand long work on before it.
pub fn invocation_deadline(epoch_ms: u64) -> Instant {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    Instant::now() + Duration::from_millis(epoch_ms.saturating_sub(now_ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn event_of(ids: &[&str]) -> SqsEvent {
        let records: Vec<serde_json::Value> = ids
            .iter()
            .map(|id| serde_json::json!({"messageId": id, "body": id}))
            .collect();
        serde_json::from_value(serde_json::json!({ "Records": records })).expect("valid SQS event")
    }

    #[tokio::test]
    async fn only_retryable_failures_are_reported() {
        let response = handle_batch(
            event_of(&["ok", "transient", "permanent"]),
            2,
            |m| async move {
                match m.body.as_deref() {
                    Some("transient") => Err(Error::transient(
                        "store down",
                        std::io::Error::other("boom"),
                    )),
                    Some("permanent") => Err(Error::invalid("not_an_image", "nope")),
                    _ => Ok(()),
                }
            },
        )
        .await;
        let failed: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, ["transient"]);
    }
}
