//! The queue port: work handed to another function (photo processing, archives, derivative
//! jobs) with at-least-once delivery, retries and a dead-letter queue.

use async_trait::async_trait;
use std::time::Duration;

use crate::error::Result;

/// A received message. It stays invisible to other receivers until acknowledged, released,
/// or its visibility timeout ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Stable id of the message across deliveries.
    pub message_id: String,
    /// The body as sent.
    pub body: String,
    /// Handle of this delivery (for ack / release).
    pub receipt: String,
    /// How many times the message has been received, this time included.
    pub receive_count: u32,
}

/// What a producer needs: functions that only hand work on (the API's retry and
/// derivative routes, the gallery's archive requests) get this and nothing more.
#[async_trait]
pub trait QueueSender: Send + Sync + std::fmt::Debug {
    /// Enqueues one message.
    async fn send(&self, body: &str) -> Result<()>;
    /// Enqueues many (adapters batch them).
    async fn send_batch(&self, bodies: &[String]) -> Result<()>;
}

/// What a consumer needs: receive, acknowledge, give back, and read the dead letters. In
/// AWS, Lambda's event source mapping consumes; the local stack's workers use this.
#[async_trait]
pub trait QueueConsumer: Send + Sync + std::fmt::Debug {
    /// Up to `max` messages, waiting up to `wait` for the first.
    async fn receive(&self, max: u32, wait: Duration) -> Result<Vec<Delivery>>;
    /// Done with the message: it is deleted.
    async fn ack(&self, delivery: &Delivery) -> Result<()>;
    /// Handling failed: the message becomes visible again after `delay`. A message received
    /// more than the queue's maximum times moves to the dead-letter queue instead.
    async fn release(&self, delivery: &Delivery, delay: Duration) -> Result<()>;
    /// Up to `max` messages from the dead-letter queue (received, not removed).
    async fn receive_dead_letters(&self, max: u32, wait: Duration) -> Result<Vec<Delivery>>;
}

/// A queue with both ends, as an adapter provides it (and the conformance suite checks it).
pub trait Queue: QueueSender + QueueConsumer {}

impl<T: QueueSender + QueueConsumer + ?Sized> Queue for T {}
