//! What a presigned PUT costs: our SigV4 presigner against the SDK's, 500 URLs each,
//! signing host, type, length and checksum. No network: both only sign.
//!
//! `cargo run --release -p shared --example presign_cost`

use std::time::{Duration, Instant, UNIX_EPOCH};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_s3::presigning::PresigningConfig;
use shared::adapters::s3_blobs::{S3Blobs, S3BlobsConfig};
use shared::domain::Timestamp;
use shared::ports::{Blobs, Presign, PutConstraints};

const URLS: usize = 500;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            Some("session-token".to_owned()),
            None,
            "example",
        )))
        .build();
    let blobs = S3Blobs::new(
        &sdk,
        S3BlobsConfig {
            bucket: "picpass-photos".to_owned(),
            force_path_style: false,
        },
    )
    .await?;
    let constraints = PutConstraints {
        content_type: "image/jpeg".to_owned(),
        content_length: 7_340_032,
        sha256: [0x5a; 32],
    };
    let checksum = "WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=";
    let keys: Vec<String> = (0..URLS)
        .map(|i| format!("originals/01JUSER/01JEVENT/01JPHOTO{i:05}"))
        .collect();
    let now = Timestamp::now();

    for round in 0..3 {
        let started = Instant::now();
        let mut bytes = 0;
        for key in &keys {
            bytes += blobs
                .presign_put(
                    key,
                    &constraints,
                    Presign {
                        signed_at: now,
                        expires_in_secs: 900,
                    },
                )?
                .url
                .len();
        }
        let ours = started.elapsed();

        let started = Instant::now();
        for key in &keys {
            let config = PresigningConfig::builder()
                .start_time(UNIX_EPOCH + Duration::from_secs(u64::try_from(now.epoch_secs())?))
                .expires_in(Duration::from_secs(900))
                .build()?;
            bytes += blobs
                .client()
                .put_object()
                .bucket("picpass-photos")
                .key(key)
                .content_type("image/jpeg")
                .content_length(7_340_032)
                .checksum_sha256(checksum)
                .presigned(config)
                .await?
                .uri()
                .len();
        }
        let sdk = started.elapsed();
        println!(
            "round {round}: {URLS} PUT URLs: ours {:.2} ms ({:.2} µs each), SDK {:.2} ms ({:.2} µs each), x{:.0} [{bytes} bytes]",
            ours.as_secs_f64() * 1e3,
            ours.as_secs_f64() * 1e6 / URLS as f64,
            sdk.as_secs_f64() * 1e3,
            sdk.as_secs_f64() * 1e6 / URLS as f64,
            sdk.as_secs_f64() / ours.as_secs_f64(),
        );
    }
    Ok(())
}
