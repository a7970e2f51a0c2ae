//! Lambda `presign`: the photographer API's upload routes. Everything but wiring lives in
//! `shared::http::presign_api`.

use lambda_http::{Error, service_fn};
use shared::http::presign_api;
use shared::services::Deps;
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
    let deps = Deps::from_env().await?;
    lambda_http::run(service_fn(|req| presign_api::handle_lambda(&deps, req))).await
}
