//! AWS SDK configuration pointing at a loopback emulator.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// An `SdkConfig` for `endpoint_url` with fixed test credentials and region `us-east-1`.
///
/// Credentials and region are given explicitly, so a developer's own AWS profile or
/// environment can never reach the emulator (or a real account).
pub async fn sdk_config(endpoint_url: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "testkit"))
        .endpoint_url(endpoint_url)
        .load()
        .await
}
