//! Logging set-up shared by every Lambda binary.

use tracing_subscriber::EnvFilter;

/// JSON logs, one object per line, filtered by `RUST_LOG` (default `info`). No timestamp:
/// CloudWatch records one, and the Lambda runtime adds the request id to every span.
pub fn init_lambda_logging() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .without_time()
        .init();
}
