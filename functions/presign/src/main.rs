//! Lambda `presign`: the photographer API's upload routes. Everything but wiring lives in
//! `shared::http::presign_api`.

use lambda_http::{Error, service_fn};
use shared::http::{self, presign_api::PresignApi};
use shared::services::Deps;
use shared::wiring::Function;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_lambda_logging(Function::Presign);
    let deps = Deps::from_env(Function::Presign).await?;
    lambda_http::run(service_fn(|req| {
        http::handle_lambda::<PresignApi>(&deps, req)
    }))
    .await
}
