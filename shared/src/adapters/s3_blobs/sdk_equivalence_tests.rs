//! Our presigner must produce exactly the SDK presigner's URLs: same signature, same query,
//! same headers to send, for the same inputs and signing time.

use std::time::{Duration, UNIX_EPOCH};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_sdk_s3::presigning::{PresignedRequest as SdkPresigned, PresigningConfig};

use super::{S3Blobs, S3BlobsConfig};
use crate::domain::Timestamp;
use crate::ports::{Blobs, Presign, PresignedRequest, PutConstraints};

const BUCKET: &str = "picpass-photos";
/// Keys exercise the path encoding: spaces, non-ASCII, `+`, sub-delims, unreserved marks.
const KEYS: &[&str] = &[
    "originals/01J0000000000000000000000/01J1111111111111111111111",
    "derived/a b/ü+x~y!*'()$&,;=:@[]_-.jpg",
];

struct Setup {
    name: &'static str,
    region: &'static str,
    endpoint: Option<&'static str>,
    force_path_style: bool,
    session_token: Option<&'static str>,
}

const SETUPS: &[Setup] = &[
    Setup {
        name: "path-style loopback, static keys",
        region: "us-east-1",
        endpoint: Some("http://127.0.0.1:9000"),
        force_path_style: true,
        session_token: None,
    },
    Setup {
        name: "virtual-host AWS, Lambda session token",
        region: "eu-west-1",
        endpoint: None,
        force_path_style: false,
        session_token: Some("IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJH+token/="),
    },
    Setup {
        name: "path-style AWS, session token",
        region: "us-east-1",
        endpoint: None,
        force_path_style: true,
        session_token: Some("FwoGZXIvYXdzEBYaDH+/=="),
    },
    Setup {
        name: "virtual-host custom endpoint with port",
        region: "ap-southeast-2",
        endpoint: Some("https://s3.example.com:8443"),
        force_path_style: false,
        session_token: None,
    },
];

async fn adapter(setup: &Setup) -> S3Blobs {
    let mut sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(setup.region))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                "AKIDEXAMPLE",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                setup.session_token.map(str::to_owned),
                None,
                "test",
            )),
        );
    if let Some(endpoint) = setup.endpoint {
        sdk = sdk.endpoint_url(endpoint);
    }
    S3Blobs::new(
        &sdk.build(),
        S3BlobsConfig {
            bucket: BUCKET.to_owned(),
            force_path_style: setup.force_path_style,
        },
    )
    .await
    .expect("adapter builds without a network")
}

fn sdk_config(signed_at: Timestamp, expires_in: u64) -> PresigningConfig {
    let start = UNIX_EPOCH
        + Duration::from_secs(u64::try_from(signed_at.epoch_secs()).expect("after 1970"));
    PresigningConfig::builder()
        .start_time(start)
        .expires_in(Duration::from_secs(expires_in))
        .build()
        .expect("valid presigning config")
}

fn assert_same(context: &str, ours: &PresignedRequest, sdk: &SdkPresigned) {
    assert_eq!(ours.url, sdk.uri(), "{context}: URL");
    assert_eq!(ours.method, sdk.method(), "{context}: method");
    let mut sdk_headers: Vec<(String, String)> = sdk
        .headers()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    sdk_headers.sort();
    let mut our_headers = ours.headers.clone();
    our_headers.sort();
    assert_eq!(our_headers, sdk_headers, "{context}: headers");
}

/// Signing times: a fixed past instant (a day other than today's cached key) and now.
fn times() -> [Timestamp; 2] {
    [Timestamp::from_epoch_secs(1_790_000_123), Timestamp::now()]
}

#[tokio::test]
async fn presigned_put_matches_the_sdk_byte_for_byte() {
    let constraints = PutConstraints {
        content_type: "image/jpeg".to_owned(),
        content_length: 7_340_032,
        sha256: [0xfb; 32],
    };
    let checksum = "+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/s=";
    for setup in SETUPS {
        let blobs = adapter(setup).await;
        for key in KEYS {
            for signed_at in times() {
                let ours = blobs
                    .presign_put(
                        key,
                        &constraints,
                        Presign {
                            signed_at,
                            expires_in_secs: 900,
                        },
                    )
                    .expect("our presign");
                let sdk = blobs
                    .client()
                    .put_object()
                    .bucket(BUCKET)
                    .key(*key)
                    .content_type("image/jpeg")
                    .content_length(7_340_032)
                    .checksum_sha256(checksum)
                    .presigned(sdk_config(signed_at, 900))
                    .await
                    .expect("SDK presign");
                assert_same(&format!("{} PUT {key}", setup.name), &ours, &sdk);
                assert_eq!(ours.expires_at, signed_at.plus_secs(900));
            }
        }
    }
}

#[tokio::test]
async fn presigned_get_with_content_disposition_matches_the_sdk_byte_for_byte() {
    let dispositions = [
        None,
        Some("attachment; filename=\"IMG 0001.jpg\"; filename*=UTF-8''%C3%BC%20x.jpg"),
    ];
    for setup in SETUPS {
        let blobs = adapter(setup).await;
        for key in KEYS {
            for disposition in dispositions {
                for signed_at in times() {
                    let ours = blobs
                        .presign_get(
                            key,
                            disposition,
                            Presign {
                                signed_at,
                                expires_in_secs: 604_800,
                            },
                        )
                        .expect("our presign");
                    let sdk = blobs
                        .client()
                        .get_object()
                        .bucket(BUCKET)
                        .key(*key)
                        .set_response_content_disposition(disposition.map(str::to_owned))
                        .presigned(sdk_config(signed_at, 604_800))
                        .await
                        .expect("SDK presign");
                    assert_same(&format!("{} GET {key}", setup.name), &ours, &sdk);
                }
            }
        }
    }
}

#[tokio::test]
async fn presigned_upload_part_matches_the_sdk_byte_for_byte() {
    let upload_ids = [
        "2f6a3c1e-9b7d-4c5e-8f00-1a2b3c4d5e6f",
        "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA+/=",
    ];
    for setup in SETUPS {
        let blobs = adapter(setup).await;
        for upload_id in upload_ids {
            for part_number in [1, 42, 10_000] {
                for signed_at in times() {
                    let ours = blobs
                        .presign_part(
                            KEYS[1],
                            upload_id,
                            part_number,
                            8_388_608,
                            Presign {
                                signed_at,
                                expires_in_secs: 3600,
                            },
                        )
                        .expect("our presign");
                    let sdk = blobs
                        .client()
                        .upload_part()
                        .bucket(BUCKET)
                        .key(KEYS[1])
                        .upload_id(upload_id)
                        .part_number(i32::try_from(part_number).expect("small"))
                        .content_length(8_388_608)
                        .presigned(sdk_config(signed_at, 3600))
                        .await
                        .expect("SDK presign");
                    assert_same(
                        &format!("{} UploadPart {part_number}", setup.name),
                        &ours,
                        &sdk,
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn presign_refuses_lifetimes_sigv4_cannot_express() {
    let blobs = adapter(&SETUPS[0]).await;
    for expires_in_secs in [0, 604_801, u64::MAX] {
        let err = blobs
            .presign_get(
                KEYS[0],
                None,
                Presign {
                    signed_at: Timestamp::now(),
                    expires_in_secs,
                },
            )
            .expect_err("out of range");
        assert!(matches!(err, crate::Error::Invalid { .. }), "{err:?}");
    }
    let err = blobs
        .presign_part(KEYS[0], "u", 0, 5_242_880, Presign::now(60))
        .expect_err("part 0");
    assert!(matches!(err, crate::Error::Invalid { .. }), "{err:?}");
}
