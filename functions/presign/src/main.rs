//! Lambda `presign`: the photographer API's upload routes. Everything but wiring lives in
//! `shared::http::presign_api`.

use lambda_http::{Error, service_fn};
use shared::http::presign_api;
use shared::services::Deps;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_lambda_logging();
    let deps = Deps::from_env().await?;
    lambda_http::run(service_fn(|req| presign_api::handle_lambda(&deps, req))).await
}
