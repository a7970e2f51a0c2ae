//! Lambda `reaper`: the events table's DynamoDB stream (TTL removals reaped at once) and a
//! daily schedule (the sweep). Everything but wiring lives in `shared::reaping`.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use shared::reaping::{ReaperDeps, handle_invocation};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_lambda_logging(shared::wiring::Function::Reaper);
    let deps = ReaperDeps::from_env().await?;
    let deps = &deps;
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<serde_json::Value>| async move {
            Ok::<_, Error>(handle_invocation(deps, event.payload).await?)
        },
    ))
    .await
}
