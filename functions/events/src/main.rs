//! Lambda `events`: the photographer API's event, photo, code and derivative routes. Everything but wiring lives in
//! `shared::http::events_api`.

use lambda_http::{Error, service_fn};
use shared::http::events_api;
use shared::services::Deps;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_lambda_logging();
    let deps = Deps::from_env().await?;
    lambda_http::run(service_fn(|req| events_api::handle_lambda(&deps, req))).await
}
