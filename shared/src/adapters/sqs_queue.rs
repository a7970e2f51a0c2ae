//! The queue port on Amazon SQS: `SqsSender` for functions that only hand work on, and
//! `SqsQueue` (both ends) for consumers and tests. The dead-letter move is the source
//! queue's redrive policy, so the adapter only sends, receives, deletes and changes
//! visibility.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::config::http::HttpResponse;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{
    MessageSystemAttributeName, QueueAttributeName, SendMessageBatchRequestEntry,
};

use crate::adapters::aws_errors;
use crate::error::{Error, Result};
use crate::ports::queue::{Delivery, QueueConsumer, QueueSender};

/// SQS accepts at most 10 entries per batch call and 10 messages per receive.
const SQS_BATCH: usize = 10;
/// SQS long polls for at most 20 seconds.
const MAX_WAIT_SECS: u64 = 20;
/// SQS visibility timeouts are at most 12 hours.
const MAX_VISIBILITY_SECS: u64 = 12 * 60 * 60;

/// The sending end of a queue: all a function that only hands work on needs.
#[derive(Debug, Clone)]
pub struct SqsSender {
    client: Client,
    queue_url: String,
}

impl SqsSender {
    /// Sends to an existing queue (its URL from configuration; the template creates it).
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// URL of the queue.
    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }
}

/// A source queue and the dead-letter queue its redrive policy points at.
///
/// SQS limits show through: a receive returns at most 10 messages and waits at most 20 s;
/// waits and delays are rounded up to whole seconds.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    sender: SqsSender,
    dlq_url: String,
}

impl SqsQueue {
    /// Wraps existing queues (URLs from configuration; the template creates them).
    pub fn new(client: Client, queue_url: impl Into<String>, dlq_url: impl Into<String>) -> Self {
        Self {
            sender: SqsSender::new(client, queue_url),
            dlq_url: dlq_url.into(),
        }
    }

    /// Creates `name` and `name-dlq`, with a redrive policy moving a message to the
    /// dead-letter queue once it has been received more than `max_receives` times.
    /// Used by tests and local tooling; deployed queues come from the SAM template.
    pub async fn create_with_dlq(client: Client, name: &str, max_receives: u32) -> Result<Self> {
        let dlq_url = client
            .create_queue()
            .queue_name(format!("{name}-dlq"))
            .send()
            .await
            .map_err(|e| map_sqs_error("create_queue", name, e))?
            .queue_url
            .ok_or_else(|| Error::internal_msg("CreateQueue returned no queue URL"))?;
        let dlq_arn = client
            .get_queue_attributes()
            .queue_url(&dlq_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|e| map_sqs_error("get_queue_attributes", &dlq_url, e))?
            .attributes
            .and_then(|mut attributes| attributes.remove(&QueueAttributeName::QueueArn))
            .ok_or_else(|| Error::internal_msg("GetQueueAttributes returned no QueueArn"))?;
        let redrive = serde_json::json!({
            "deadLetterTargetArn": dlq_arn,
            "maxReceiveCount": max_receives.max(1).to_string(),
        });
        let queue_url = client
            .create_queue()
            .queue_name(name)
            .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
            .send()
            .await
            .map_err(|e| map_sqs_error("create_queue", name, e))?
            .queue_url
            .ok_or_else(|| Error::internal_msg("CreateQueue returned no queue URL"))?;
        Ok(Self::new(client, queue_url, dlq_url))
    }

    /// URL of the source queue.
    pub fn queue_url(&self) -> &str {
        &self.sender.queue_url
    }

    /// URL of the dead-letter queue.
    pub fn dlq_url(&self) -> &str {
        &self.dlq_url
    }

    async fn receive_from(&self, url: &str, max: u32, wait: Duration) -> Result<Vec<Delivery>> {
        let max = max.clamp(1, SQS_BATCH as u32);
        // SQS waits in whole seconds: round up so we never return before `wait`.
        let wait_secs = whole_seconds_up(wait);
        let output = self
            .sender
            .client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(max as i32)
            .wait_time_seconds(wait_secs.min(MAX_WAIT_SECS) as i32)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|e| map_sqs_error("receive_message", url, e))?;
        output
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|message| {
                let receive_count = message
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|count| count.parse().ok())
                    .unwrap_or(1);
                match (message.message_id, message.receipt_handle) {
                    (Some(message_id), Some(receipt)) => Ok(Delivery {
                        message_id,
                        body: message.body.unwrap_or_default(),
                        receipt,
                        receive_count,
                    }),
                    _ => Err(Error::internal_msg(
                        "SQS returned a message without id or receipt handle",
                    )),
                }
            })
            .collect()
    }
}

#[async_trait]
impl QueueSender for SqsSender {
    #[tracing::instrument(skip_all, fields(queue = %self.queue_url))]
    async fn send(&self, body: &str) -> Result<()> {
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| map_sqs_error("send_message", &self.queue_url, e))?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(queue = %self.queue_url, count = bodies.len()))]
    async fn send_batch(&self, bodies: &[String]) -> Result<()> {
        for chunk in bodies.chunks(SQS_BATCH) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(index, body)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(index.to_string())
                        .message_body(body)
                        .build()
                        .map_err(|e| Error::internal("building a SendMessageBatch entry", e))
                })
                .collect::<Result<Vec<_>>>()?;
            let output = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| map_sqs_error("send_message_batch", &self.queue_url, e))?;
            if let Some(failed) = output.failed().first() {
                // Entries sent before the failure stay sent: at-least-once allows the retry.
                let message = format!(
                    "SendMessageBatch entry {} failed: {} {}",
                    failed.id(),
                    failed.code(),
                    failed.message().unwrap_or_default()
                );
                return Err(if failed.sender_fault() {
                    Error::internal_msg(message)
                } else {
                    Error::Transient {
                        message,
                        source: None,
                    }
                });
            }
        }
        Ok(())
    }
}

#[async_trait]
impl QueueSender for SqsQueue {
    async fn send(&self, body: &str) -> Result<()> {
        self.sender.send(body).await
    }

    async fn send_batch(&self, bodies: &[String]) -> Result<()> {
        self.sender.send_batch(bodies).await
    }
}

#[async_trait]
impl QueueConsumer for SqsQueue {
    #[tracing::instrument(skip_all, fields(queue = %self.sender.queue_url, max))]
    async fn receive(&self, max: u32, wait: Duration) -> Result<Vec<Delivery>> {
        self.receive_from(&self.sender.queue_url, max, wait).await
    }

    #[tracing::instrument(skip_all, fields(queue = %self.sender.queue_url, message_id = %delivery.message_id))]
    async fn ack(&self, delivery: &Delivery) -> Result<()> {
        self.sender
            .client
            .delete_message()
            .queue_url(&self.sender.queue_url)
            .receipt_handle(&delivery.receipt)
            .send()
            .await
            .map_err(|e| map_sqs_error("delete_message", &self.sender.queue_url, e))?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(queue = %self.sender.queue_url, message_id = %delivery.message_id))]
    async fn release(&self, delivery: &Delivery, delay: Duration) -> Result<()> {
        // The redrive policy counts receives; making the message visible again is all a
        // release needs, SQS moves it to the dead-letter queue on the receive over the limit.
        self.sender
            .client
            .change_message_visibility()
            .queue_url(&self.sender.queue_url)
            .receipt_handle(&delivery.receipt)
            .visibility_timeout(whole_seconds_up(delay).min(MAX_VISIBILITY_SECS) as i32)
            .send()
            .await
            .map_err(|e| map_sqs_error("change_message_visibility", &self.sender.queue_url, e))?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(queue = %self.dlq_url, max))]
    async fn receive_dead_letters(&self, max: u32, wait: Duration) -> Result<Vec<Delivery>> {
        self.receive_from(&self.dlq_url, max, wait).await
    }
}

/// SQS takes whole seconds; rounding up never shortens a wait or a delay.
fn whole_seconds_up(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

/// Error codes for a receipt handle that no longer refers to an in-flight delivery.
const STALE_RECEIPT_CODES: &[&str] = &[
    "MessageNotInflight",
    "AWS.SimpleQueueService.MessageNotInflight",
    "ReceiptHandleIsInvalid",
];

/// Classifies an SQS SDK failure: a stale receipt is a `Conflict`; the rest is classified
/// by the shared AWS classifier (a missing queue is our misconfiguration, not a 404).
fn map_sqs_error<E>(
    operation: &'static str,
    queue_url: &str,
    error: SdkError<E, HttpResponse>,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    aws_errors::map_sdk_error("SQS", operation, queue_url, error, |_, code| {
        STALE_RECEIPT_CODES.contains(&code).then(|| {
            Error::conflict(
                "message_not_in_flight",
                "This delivery is no longer current: the message was acknowledged or redelivered.",
            )
        })
    })
}
