//! Lambda `process`: SQS batches of S3 `ObjectCreated` notifications for `originals/`.
//! Everything but wiring lives in `shared::processing`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use shared::processing::ProcessDeps;
use shared::processing::queue_messages::handle_batch_until;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_lambda_logging();
    let deps = ProcessDeps::from_env().await?;
    let deps = &deps;
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        let deadline = deadline(event.context.deadline);
        Ok::<_, Error>(handle_batch_until(deps, event.payload, Some(deadline)).await)
    }))
    .await
}

/// The invocation's deadline (milliseconds since the epoch, from the runtime API) as an
/// `Instant`.
fn deadline(epoch_ms: u64) -> Instant {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    Instant::now() + Duration::from_millis(epoch_ms.saturating_sub(now_ms))
}
