//! Lambda `gallery`: the viewer routes (landing, unlock, granted photos, downloads, archives).
//! Everything but wiring lives in `shared::http::gallery_api`.

use lambda_http::{Error, service_fn};
use shared::http::{self, gallery_api::GalleryApi};
use shared::services::Deps;
use shared::wiring::Function;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init_lambda_logging(Function::Gallery);
    let deps = Deps::from_env(Function::Gallery).await?;
    lambda_http::run(service_fn(|req| {
        http::handle_lambda::<GalleryApi>(&deps, req)
    }))
    .await
}
