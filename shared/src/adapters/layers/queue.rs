//! A queue (both ends) through a [`CallLayer`].

use std::time::Duration;

use async_trait::async_trait;

use super::{Call, CallKind, CallLayer, Layered, through};
use crate::error::Result;
use crate::ports::{Delivery, Queue, QueueConsumer, QueueSender};

#[async_trait]
impl<L: CallLayer> QueueSender for Layered<dyn Queue, L> {
    // At-least-once delivery: consumers take a message twice in their stride.
    async fn send(&self, body: &str) -> Result<()> {
        through!(self, "queue", Idempotent, send(body))
    }
    async fn send_batch(&self, bodies: &[String]) -> Result<()> {
        through!(self, "queue", Idempotent, send_batch(bodies))
    }
}

#[async_trait]
impl<L: CallLayer> QueueConsumer for Layered<dyn Queue, L> {
    async fn receive(&self, max: u32, wait: Duration) -> Result<Vec<Delivery>> {
        // A receive whose answer is lost hides its messages until their visibility timeout
        // ends: never repeated blindly. It may take its long poll.
        let call = Call {
            patience: wait,
            ..Call::prompt("queue", "receive", CallKind::Once)
        };
        self.layer
            .around(call, || self.inner.receive(max, wait))
            .await
    }
    async fn ack(&self, delivery: &Delivery) -> Result<()> {
        through!(self, "queue", Idempotent, ack(delivery))
    }
    async fn release(&self, delivery: &Delivery, delay: Duration) -> Result<()> {
        through!(self, "queue", Idempotent, release(delivery, delay))
    }
    async fn receive_dead_letters(&self, max: u32, wait: Duration) -> Result<Vec<Delivery>> {
        let call = Call {
            patience: wait,
            ..Call::prompt("queue", "receive_dead_letters", CallKind::Once)
        };
        self.layer
            .around(call, || self.inner.receive_dead_letters(max, wait))
            .await
    }
}
