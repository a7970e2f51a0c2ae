//! `MemoryQueue`: the in-process queue of the local stack, with SQS's delivery semantics
//! (visibility timeout, receive counts, redelivery, a dead-letter list after too many
//! receives) so handlers behave the same locally and on AWS.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::error::{Error, Result};
use crate::ports::queue::{Delivery, QueueConsumer, QueueSender};

/// An in-process queue with a dead-letter list, shared by the local stack's functions.
///
/// A message received more than `max_receives` times is moved to the dead-letter list at
/// the next receive instead of being delivered, exactly when SQS's redrive policy would.
#[derive(Debug)]
pub struct MemoryQueue {
    visibility_timeout: Duration,
    max_receives: u32,
    state: Mutex<State>,
    /// Woken on send and release, so waiting receivers react at once instead of polling.
    arrivals: Notify,
}

#[derive(Debug, Default)]
struct State {
    messages: VecDeque<Message>,
    dead: VecDeque<Message>,
    next_id: u64,
    next_receipt: u64,
}

#[derive(Debug)]
struct Message {
    id: String,
    body: String,
    receive_count: u32,
    visible_at: Instant,
    /// Receipt of the current delivery; only its holder may ack or release.
    receipt: Option<String>,
}

impl MemoryQueue {
    /// A queue whose deliveries stay invisible for `visibility_timeout` and whose messages
    /// go to the dead-letter list once received more than `max_receives` times.
    pub fn new(visibility_timeout: Duration, max_receives: u32) -> Self {
        Self {
            visibility_timeout,
            max_receives: max_receives.max(1),
            state: Mutex::new(State::default()),
            arrivals: Notify::new(),
        }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, State>> {
        self.state
            .lock()
            .map_err(|_| Error::internal_msg("memory queue lock poisoned"))
    }

    /// Delivers up to `max` visible messages, dead-lettering those over the limit.
    /// Also returns when the next invisible message becomes visible, to bound the wait.
    fn take_visible(&self, max: u32) -> Result<(Vec<Delivery>, Option<Instant>)> {
        let now = Instant::now();
        let mut state = self.lock()?;
        let mut delivered = Vec::new();
        let mut next_visible: Option<Instant> = None;
        let mut index = 0;
        while index < state.messages.len() && delivered.len() < max as usize {
            let visible_at = state.messages[index].visible_at;
            if visible_at > now {
                next_visible = Some(next_visible.map_or(visible_at, |t| t.min(visible_at)));
                index += 1;
                continue;
            }
            if state.messages[index].receive_count >= self.max_receives {
                if let Some(mut message) = state.messages.remove(index) {
                    tracing::warn!(
                        message_id = %message.id,
                        receive_count = message.receive_count,
                        "message moved to the dead-letter list"
                    );
                    message.receipt = None;
                    state.dead.push_back(message);
                }
                continue;
            }
            state.next_receipt += 1;
            let receipt = format!("r{}", state.next_receipt);
            let message = &mut state.messages[index];
            message.receive_count += 1;
            message.visible_at = now + self.visibility_timeout;
            message.receipt = Some(receipt.clone());
            delivered.push(Delivery {
                message_id: message.id.clone(),
                body: message.body.clone(),
                receipt,
                receive_count: message.receive_count,
            });
            index += 1;
        }
        Ok((delivered, next_visible))
    }

    fn enqueue(&self, bodies: &[String]) -> Result<()> {
        let now = Instant::now();
        {
            let mut state = self.lock()?;
            for body in bodies {
                state.next_id += 1;
                let id = format!("m{}", state.next_id);
                state.messages.push_back(Message {
                    id,
                    body: body.clone(),
                    receive_count: 0,
                    visible_at: now,
                    receipt: None,
                });
            }
        }
        self.arrivals.notify_waiters();
        Ok(())
    }

    /// Runs `change` on the in-flight message `delivery` refers to. A stale receipt (the
    /// message was acked, or redelivered to someone else) is a `Conflict`.
    fn with_in_flight<T>(
        &self,
        delivery: &Delivery,
        change: impl FnOnce(&mut State, usize) -> T,
    ) -> Result<T> {
        let mut state = self.lock()?;
        let position = state
            .messages
            .iter()
            .position(|m| m.receipt.as_deref() == Some(delivery.receipt.as_str()));
        match position {
            Some(index) => Ok(change(&mut state, index)),
            None => Err(Error::conflict(
                "message_not_in_flight",
                "This delivery is no longer current: the message was acknowledged or redelivered.",
            )),
        }
    }
}

#[async_trait]
impl QueueSender for MemoryQueue {
    async fn send(&self, body: &str) -> Result<()> {
        self.enqueue(&[body.to_owned()])
    }

    async fn send_batch(&self, bodies: &[String]) -> Result<()> {
        self.enqueue(bodies)
    }
}

#[async_trait]
impl QueueConsumer for MemoryQueue {
    async fn receive(&self, max: u32, wait: Duration) -> Result<Vec<Delivery>> {
        let deadline = Instant::now() + wait;
        loop {
            // Registered before looking, so a send between the look and the wait still wakes us.
            let arrival = self.arrivals.notified();
            tokio::pin!(arrival);
            arrival.as_mut().enable();

            let (delivered, next_visible) = self.take_visible(max.max(1))?;
            if !delivered.is_empty() {
                return Ok(delivered);
            }
            if Instant::now() >= deadline {
                return Ok(Vec::new());
            }
            let wake = next_visible.map_or(deadline, |t| t.min(deadline));
            tokio::select! {
                () = &mut arrival => {}
                () = tokio::time::sleep_until(wake) => {}
            }
        }
    }

    async fn ack(&self, delivery: &Delivery) -> Result<()> {
        self.with_in_flight(delivery, |state, index| {
            state.messages.remove(index);
        })
    }

    async fn release(&self, delivery: &Delivery, delay: Duration) -> Result<()> {
        self.with_in_flight(delivery, |state, index| {
            let message = &mut state.messages[index];
            message.visible_at = Instant::now() + delay;
            message.receipt = None;
        })?;
        self.arrivals.notify_waiters();
        Ok(())
    }

    async fn receive_dead_letters(&self, max: u32, wait: Duration) -> Result<Vec<Delivery>> {
        let deadline = Instant::now() + wait;
        loop {
            let arrival = self.arrivals.notified();
            tokio::pin!(arrival);
            arrival.as_mut().enable();
            {
                let mut state = self.lock()?;
                let count = state.dead.len().min(max.max(1) as usize);
                if count > 0 {
                    let first = state.next_receipt;
                    state.next_receipt += count as u64;
                    // Kept, not removed: dead letters wait for a person to inspect them.
                    return Ok(state
                        .dead
                        .iter()
                        .take(count)
                        .zip(first + 1..)
                        .map(|(message, n)| Delivery {
                            message_id: message.id.clone(),
                            body: message.body.clone(),
                            receipt: format!("d{n}"),
                            receive_count: message.receive_count,
                        })
                        .collect());
                }
            }
            if Instant::now() >= deadline {
                return Ok(Vec::new());
            }
            tokio::select! {
                () = &mut arrival => {}
                () = tokio::time::sleep_until(deadline) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unacked_delivery_reappears_after_the_visibility_timeout() {
        let queue = MemoryQueue::new(Duration::from_millis(600), 5);
        queue.send("slow consumer").await.expect("send");
        let first = queue.receive(1, Duration::ZERO).await.expect("receive");
        assert_eq!(first.len(), 1);

        let before = queue
            .receive(1, Duration::from_millis(300))
            .await
            .expect("receive");
        assert!(before.is_empty(), "still hidden before the timeout");

        let after = queue
            .receive(1, Duration::from_secs(2))
            .await
            .expect("receive");
        assert_eq!(after.len(), 1, "visible again once the timeout ends");
        assert_eq!(after[0].receive_count, 2);
    }

    #[tokio::test]
    async fn a_waiting_receiver_wakes_on_send_not_at_the_end_of_its_wait() {
        let queue = MemoryQueue::new(Duration::from_secs(30), 5);
        let started = Instant::now();
        let (delivered, ()) = tokio::join!(queue.receive(1, Duration::from_secs(20)), async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            queue.send("now").await.expect("send");
        });
        assert_eq!(delivered.expect("receive").len(), 1);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn a_stale_receipt_cannot_ack_or_release() {
        let queue = MemoryQueue::new(Duration::from_secs(30), 5);
        queue.send("x").await.expect("send");
        let first = queue.receive(1, Duration::ZERO).await.expect("receive");
        queue
            .release(&first[0], Duration::ZERO)
            .await
            .expect("release");
        let second = queue.receive(1, Duration::ZERO).await.expect("receive");
        assert_eq!(second.len(), 1);

        let stale_ack = queue.ack(&first[0]).await.expect_err("stale ack");
        assert!(matches!(stale_ack, Error::Conflict { .. }), "{stale_ack:?}");
        let stale_release = queue
            .release(&first[0], Duration::ZERO)
            .await
            .expect_err("stale release");
        assert!(matches!(stale_release, Error::Conflict { .. }));

        queue.ack(&second[0]).await.expect("current receipt acks");
    }

    #[tokio::test]
    async fn receive_returns_at_most_max_messages() {
        let queue = MemoryQueue::new(Duration::from_secs(30), 5);
        let bodies: Vec<String> = (0..5).map(|i| i.to_string()).collect();
        queue.send_batch(&bodies).await.expect("send_batch");
        let delivered = queue.receive(3, Duration::ZERO).await.expect("receive");
        assert_eq!(delivered.len(), 3);
        let bodies: Vec<&str> = delivered.iter().map(|d| d.body.as_str()).collect();
        assert_eq!(bodies, ["0", "1", "2"], "first in, first out");
    }
}
