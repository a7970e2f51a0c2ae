//! Lambda `process`: SQS batches of S3 `ObjectCreated` notifications for `originals/`.
//! Everything but wiring lives in `shared::processing`.

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use shared::processing::ProcessDeps;
use shared::processing::queue_messages::handle_batch_until;
use shared::processing::sqs_batch::invocation_deadline;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_lambda_logging(shared::wiring::Function::Process);
    let deps = ProcessDeps::from_env().await?;
    let deps = &deps;
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        let deadline = invocation_deadline(event.context.deadline);
        Ok::<_, Error>(handle_batch_until(deps, event.payload, Some(deadline)).await)
    }))
    .await
}
