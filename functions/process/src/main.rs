//! Lambda `process`: SQS batches of S3 `ObjectCreated` notifications for `originals/`.
//! Everything but wiring lives in `shared::processing`.

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use shared::processing::ProcessDeps;
use shared::processing::handler::handle_batch;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .without_time()
        .init();
    let deps = ProcessDeps::from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async {
        Ok::<_, Error>(handle_batch(&deps, event.payload).await)
    }))
    .await
}
