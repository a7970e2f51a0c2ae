//! Lambda `events`: the photographer API's event, photo, code and derivative routes. Everything but wiring lives in
//! `shared::http::events_api`.

use lambda_http::{Error, service_fn};
use shared::http::{self, events_api::EventsApi};
use shared::services::Deps;
use shared::wiring::Function;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_lambda_logging(Function::Events);
    let deps = Deps::from_env(Function::Events).await?;
    lambda_http::run(service_fn(|req| {
        http::handle_lambda::<EventsApi>(&deps, req)
    }))
    .await
}
