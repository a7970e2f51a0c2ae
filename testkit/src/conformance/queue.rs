//! Queue conformance: what every `Queue` adapter must do, written once.
//!
//! Fixtures build queues with [`MAX_RECEIVES`] and a visibility timeout of at least
//! [`VISIBILITY_TIMEOUT`], so a delivery never reappears on its own during a case.
//! Waits are short (≤ 2 s); SQS rounds waits up to whole seconds.
//!
//! Not asserted, because moto differs from AWS: acking with a stale receipt (moto deletes
//! the message, AWS does not).

use std::collections::BTreeSet;
use std::time::Duration;

use shared::ports::queue::{Delivery, Queue};
use tokio::time::Instant;

/// Receives after which the next receive moves a message to the dead-letter queue.
pub const MAX_RECEIVES: u32 = 2;
/// How long a delivery stays invisible (SQS's default, and what the memory fixture uses).
pub const VISIBILITY_TIMEOUT: Duration = Duration::from_secs(30);

const WAIT: Duration = Duration::from_secs(2);
const SHORT_WAIT: Duration = Duration::from_secs(1);

async fn receive_one(queue: &dyn Queue) -> Delivery {
    let mut delivered = queue.receive(1, WAIT).await.expect("receive");
    assert_eq!(
        delivered.len(),
        1,
        "expected exactly one delivery: {delivered:?}"
    );
    delivered.remove(0)
}

async fn assert_nothing_visible(queue: &dyn Queue) {
    let delivered = queue.receive(10, SHORT_WAIT).await.expect("receive");
    assert!(delivered.is_empty(), "expected no delivery: {delivered:?}");
}

/// The body comes back unchanged, with an id, a receipt and a receive count of 1.
pub async fn sent_message_is_received_with_its_body(queue: &dyn Queue) {
    let body = r#"{"photo_id":"01JD0000000000000000000000","note":"ünïcødé"}"#;
    queue.send(body).await.expect("send");

    let delivery = receive_one(queue).await;
    assert_eq!(delivery.body, body);
    assert_eq!(delivery.receive_count, 1);
    assert!(!delivery.message_id.is_empty());
    assert!(!delivery.receipt.is_empty());
}

/// A batch larger than one SQS call (10) arrives complete, each message exactly once.
pub async fn batch_of_25_arrives_exactly_once_each(queue: &dyn Queue) {
    let bodies: Vec<String> = (0..25).map(|i| format!("message-{i:02}")).collect();
    queue.send_batch(&bodies).await.expect("send_batch");

    let mut received = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while received.len() < bodies.len() && Instant::now() < deadline {
        for delivery in queue.receive(10, SHORT_WAIT).await.expect("receive") {
            queue.ack(&delivery).await.expect("ack");
            received.push(delivery.body);
        }
    }
    let unique: BTreeSet<&String> = received.iter().collect();
    assert_eq!(unique.len(), received.len(), "duplicates in {received:?}");
    assert_eq!(unique, bodies.iter().collect::<BTreeSet<_>>());
    assert_nothing_visible(queue).await;
}

/// While one consumer holds a delivery, nobody else receives the message.
pub async fn received_message_is_invisible_until_released(queue: &dyn Queue) {
    queue.send("hidden while in flight").await.expect("send");
    let _held = receive_one(queue).await;

    assert_nothing_visible(queue).await;
}

/// A released message comes back: same id and body, receive count one higher.
pub async fn released_message_reappears_with_receive_count_incremented(queue: &dyn Queue) {
    queue.send("try again").await.expect("send");
    let first = receive_one(queue).await;

    queue
        .release(&first, Duration::ZERO)
        .await
        .expect("release");
    let second = receive_one(queue).await;

    assert_eq!(second.message_id, first.message_id);
    assert_eq!(second.body, "try again");
    assert_eq!(second.receive_count, first.receive_count + 1);
    assert_ne!(
        second.receipt, first.receipt,
        "each delivery has its own receipt"
    );
}

/// A release with a delay keeps the message hidden until the delay has passed.
pub async fn released_with_delay_stays_hidden_for_the_delay(queue: &dyn Queue) {
    queue.send("later").await.expect("send");
    let first = receive_one(queue).await;

    queue
        .release(&first, Duration::from_secs(2))
        .await
        .expect("release");
    let too_early = queue.receive(1, Duration::ZERO).await.expect("receive");
    assert!(
        too_early.is_empty(),
        "visible before its delay: {too_early:?}"
    );

    let later = queue
        .receive(1, Duration::from_secs(5))
        .await
        .expect("receive");
    assert_eq!(later.len(), 1, "the delayed message came back");
    assert_eq!(later[0].body, "later");
}

/// GIVEN a message released after each of MAX_RECEIVES deliveries, WHEN it is received
/// once more, THEN it is not delivered but found, intact, in the dead-letter queue.
pub async fn message_over_max_receives_lands_in_dead_letters_intact(queue: &dyn Queue) {
    let body = "poison: {\"not\": \"handled\"}";
    queue.send(body).await.expect("send");
    for attempt in 1..=MAX_RECEIVES {
        let delivery = receive_one(queue).await;
        assert_eq!(delivery.receive_count, attempt);
        queue
            .release(&delivery, Duration::ZERO)
            .await
            .expect("release");
    }

    assert_nothing_visible(queue).await;
    let dead = queue
        .receive_dead_letters(10, WAIT)
        .await
        .expect("receive_dead_letters");
    assert_eq!(dead.len(), 1, "one dead letter: {dead:?}");
    assert_eq!(dead[0].body, body);
}

/// An acknowledged message never comes back, not even as a dead letter.
pub async fn acked_message_is_gone_for_good(queue: &dyn Queue) {
    queue.send("done").await.expect("send");
    let delivery = receive_one(queue).await;

    queue.ack(&delivery).await.expect("ack");

    assert_nothing_visible(queue).await;
    let dead = queue
        .receive_dead_letters(10, Duration::ZERO)
        .await
        .expect("receive_dead_letters");
    assert!(dead.is_empty(), "acked message in dead letters: {dead:?}");
}

/// Receiving from an empty queue waits the whole wait, then returns nothing.
pub async fn receive_on_empty_queue_returns_nothing_after_the_wait(queue: &dyn Queue) {
    let started = Instant::now();
    let delivered = queue.receive(10, SHORT_WAIT).await.expect("receive");
    let waited = started.elapsed();

    assert!(delivered.is_empty(), "{delivered:?}");
    assert!(
        waited >= SHORT_WAIT - Duration::from_millis(100),
        "returned after {waited:?}, before the wait of {SHORT_WAIT:?}"
    );
    assert!(
        waited < SHORT_WAIT + Duration::from_secs(3),
        "took {waited:?}"
    );
}

/// A receiver already waiting gets a message sent during its wait.
pub async fn waiting_receiver_gets_a_message_sent_during_the_wait(queue: &dyn Queue) {
    let (delivered, ()) = tokio::join!(queue.receive(1, WAIT), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        queue.send("arrived while waiting").await.expect("send");
    });

    let delivered = delivered.expect("receive");
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    assert_eq!(delivered[0].body, "arrived while waiting");
}

/// Instantiates every queue conformance case for one adapter:
/// `queue_conformance!(memory, testkit::fixtures::memory_queue());` gives `memory::<case>`
/// tests, each on a fresh fixture, plus `memory::every_written_case_is_listed`;
/// `queue_conformance!(@names)` is the list as names.
#[macro_export]
macro_rules! queue_conformance {
    ($adapter:ident, $fixture:expr) => {
        $crate::queue_conformance!(@list [tests $adapter, $fixture]);
    };
    (@names) => {
        $crate::queue_conformance!(@list [names])
    };
    (@list $how:tt) => {
        $crate::queue_conformance! { @expand $how;
            sent_message_is_received_with_its_body,
            batch_of_25_arrives_exactly_once_each,
            received_message_is_invisible_until_released,
            released_message_reappears_with_receive_count_incremented,
            released_with_delay_stays_hidden_for_the_delay,
            message_over_max_receives_lands_in_dead_letters_intact,
            acked_message_is_gone_for_good,
            receive_on_empty_queue_returns_nothing_after_the_wait,
            waiting_receiver_gets_a_message_sent_during_the_wait,
        }
    };
    (@expand [names]; $($case:ident),+ $(,)?) => {
        &[$(stringify!($case)),+]
    };
    (@expand [tests $adapter:ident, $fixture:expr]; $($case:ident),+ $(,)?) => {
        mod $adapter {
            #[test]
            fn every_written_case_is_listed() {
                $crate::conformance::assert_every_case_listed(
                    "queue",
                    $crate::queue_conformance!(@names),
                );
            }

            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let fixture = $fixture.await;
                    $crate::conformance::queue::$case(fixture.queue()).await;
                }
            )+
        }
    };
}
