//! Configuration: one struct, read from the environment once at start-up.
//!
//! Every variable is listed in the README's configuration table. A bad or missing value
//! fails start-up with a message naming the variable, instead of failing a request later.

mod secrets;

use std::path::PathBuf;
use std::time::Duration;

pub use secrets::Secret;
pub(crate) use secrets::TOO_SHORT as SECRET_TOO_SHORT;

use crate::domain::MAX_ORIGINAL_BYTES;
use crate::error::{Error, Result};

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;
/// S3's smallest multipart part (except the last one).
const S3_MIN_PART_BYTES: u64 = 5 * MIB;
/// S3's largest single PUT and largest part.
const S3_MAX_PUT_BYTES: u64 = 5 * GIB;
/// The longest lifetime we allow for a presigned upload URL.
const MAX_UPLOAD_URL_TTL_SECS: u64 = 900;

/// Where data lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageMode {
    /// SQLite, files and in-process queues under the data directory (the local stack).
    Local,
    /// DynamoDB, S3 and SQS (the deployed stack).
    Aws,
}

/// Size and count limits; the defaults are the ones documented in the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest JSON request body (`PICPASS_MAX_JSON_BODY_BYTES`, default 1 MiB); above → 413.
    pub max_json_body_bytes: u64,
    /// Largest file uploaded with one PUT (`PICPASS_MAX_SINGLE_PUT_BYTES`, default 32 MiB);
    /// larger files use multipart.
    pub max_single_put_bytes: u64,
    /// Size of each multipart part (`PICPASS_MULTIPART_PART_BYTES`, default 8 MiB, at least
    /// S3's 5 MiB).
    pub multipart_part_bytes: u64,
    /// Largest file overall (`PICPASS_MAX_FILE_BYTES`, default and maximum
    /// [`MAX_ORIGINAL_BYTES`], 200 MiB: the largest original the pipeline processes).
    pub max_file_bytes: u64,
    /// Photos one event may hold (`PICPASS_MAX_PHOTOS_PER_EVENT`, default 20,000).
    pub max_photos_per_event: u32,
    /// Files one uploads call may register (`PICPASS_MAX_FILES_PER_UPLOAD`, default 500).
    pub max_files_per_upload: u32,
    /// Largest image area in pixels (`PICPASS_MAX_MEGAPIXELS`, default 100 → 100,000,000),
    /// checked from the header before decoding.
    pub max_pixels: u64,
    /// Largest width or height in pixels (`PICPASS_MAX_SIDE_PX`, default 20,000).
    pub max_side_px: u32,
    /// Lifetime of presigned upload URLs (`PICPASS_UPLOAD_URL_TTL_SECS`, default and
    /// maximum 900 s).
    pub upload_url_ttl: Duration,
}

impl Limits {
    /// The image pipeline's refusal thresholds (pixels and side from here; bytes and scans
    /// keep the pipeline's defaults).
    pub fn image_limits(&self) -> crate::pipeline::Limits {
        crate::pipeline::Limits {
            max_pixels: self.max_pixels,
            max_side: self.max_side_px,
            ..crate::pipeline::Limits::default()
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_json_body_bytes: MIB,
            max_single_put_bytes: 32 * MIB,
            multipart_part_bytes: 8 * MIB,
            max_file_bytes: MAX_ORIGINAL_BYTES,
            max_photos_per_event: 20_000,
            max_files_per_upload: 500,
            max_pixels: 100_000_000,
            max_side_px: 20_000,
            upload_url_ttl: Duration::from_secs(MAX_UPLOAD_URL_TTL_SECS),
        }
    }
}

/// Everything a PicPass binary needs to know about its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `PICPASS_STORAGE`: `local` (default) or `aws`.
    pub storage: StorageMode,
    /// `PICPASS_DATA_DIR`: root of the local stack's data (default `./.picpass`).
    pub data_dir: PathBuf,
    /// `PICPASS_BUCKET`: the S3 bucket for originals and derivatives (required on AWS by
    /// every function: `crate::wiring`).
    pub bucket: Option<String>,
    /// Whether S3 is addressed path-style (`https://host/bucket/key`): true when
    /// `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` points the SDK at an S3-compatible
    /// endpoint on an address, false for AWS S3 itself (virtual-host style).
    pub s3_path_style: bool,
    /// `PICPASS_TABLE_PREFIX`: prefix of the DynamoDB table names (default `picpass`).
    pub table_prefix: String,
    /// `PICPASS_PROCESS_QUEUE_URL`: SQS queue of uploaded originals and custom-derivative
    /// jobs (required on AWS by the functions that send to it: `crate::wiring`).
    pub process_queue_url: Option<String>,
    /// `PICPASS_JOBS_QUEUE_URL`: SQS queue of archive jobs (required on AWS by the
    /// functions that send to it). Custom derivative jobs go to the process queue:
    /// `process` owns all image work.
    pub jobs_queue_url: Option<String>,
    /// `PICPASS_PUBLIC_BASE_URL`: the URL clients reach the local stack at (default
    /// `http://127.0.0.1:8080`); presigned URLs of local storage point there.
    pub public_base_url: String,
    /// Size and count limits.
    pub limits: Limits,
    /// `PICPASS_CODE_SECRET`: the key access codes are hashed and sealed with (at least 32
    /// bytes; 64 or more hex digits are decoded). Required by the functions that handle codes
    /// (`events`, `gallery`), not by `process`. On AWS it is read from the secret of
    /// `code_secret_arn` at cold start instead (`crate::wiring`).
    pub code_secret: Option<Secret>,
    /// `PICPASS_CODE_SECRET_PREVIOUS`: secrets used before the current one, separated by
    /// commas; codes made with them still open (rotation: see the README). On AWS the
    /// secret's `AWSPREVIOUS` version is put first.
    pub previous_code_secrets: Vec<Secret>,
    /// `PICPASS_CODE_SECRET_ARN`: the Secrets Manager secret (ARN or name) holding the code
    /// secret, read once at cold start on AWS; never set together with `code_secret`'s
    /// variable.
    pub code_secret_arn: Option<String>,
    /// `PICPASS_VIEWER_TOKEN_SECRET`: the key viewer tokens are signed with (≥ 32 bytes;
    /// its own, not the code secret). Required by the `gallery` function; on AWS read from
    /// `viewer_token_secret_arn`'s secret at cold start.
    pub viewer_token_secret: Option<Secret>,
    /// `PICPASS_VIEWER_TOKEN_SECRET_PREVIOUS`: earlier viewer-token secrets, comma-separated;
    /// tokens signed with them stay valid until they expire (at most 12 hours).
    pub previous_viewer_token_secrets: Vec<Secret>,
    /// `PICPASS_VIEWER_TOKEN_SECRET_ARN`: the Secrets Manager secret (ARN or name) holding
    /// the viewer-token secret, read once at cold start on AWS.
    pub viewer_token_secret_arn: Option<String>,
    /// `PICPASS_BEHIND_CLOUDFRONT` (`true`/`false`, default `false`): take the viewer's
    /// address from CloudFront's `CloudFront-Viewer-Address` header instead of the
    /// connection. Set it only where every request comes through CloudFront (the API's own
    /// endpoint disabled), or a client could choose its address.
    pub behind_cloudfront: bool,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| match std::env::var(name) {
            Ok(value) => Ok(Some(value)),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(config_error(name, "is not valid UTF-8")),
        })
    }

    /// Reads variables through `lookup` (the environment, or a map in tests). Empty values
    /// count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Result<Option<String>>) -> Result<Self> {
        let get = |name: &str| -> Result<Option<String>> {
            Ok(lookup(name)?
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty()))
        };

        let storage = match get("PICPASS_STORAGE")?.as_deref() {
            None | Some("local") => StorageMode::Local,
            Some("aws") => StorageMode::Aws,
            Some(other) => {
                return Err(config_error(
                    "PICPASS_STORAGE",
                    &format!("must be `local` or `aws`, got {other:?}"),
                ));
            }
        };
        // Which of these a function needs is `crate::wiring`'s business: it insists on
        // exactly the ones the function reads.
        let bucket = get("PICPASS_BUCKET")?;
        if let Some(bucket) = &bucket
            && !(3..=63).contains(&bucket.len())
        {
            return Err(config_error(
                "PICPASS_BUCKET",
                "must be a bucket name of 3 to 63 characters",
            ));
        }
        let process_queue_url = get("PICPASS_PROCESS_QUEUE_URL")?;
        let jobs_queue_url = get("PICPASS_JOBS_QUEUE_URL")?;
        for (name, value) in [
            ("PICPASS_PROCESS_QUEUE_URL", &process_queue_url),
            ("PICPASS_JOBS_QUEUE_URL", &jobs_queue_url),
        ] {
            if let Some(value) = value {
                check_http_url(name, value)?;
            }
        }
        let public_base_url = match get("PICPASS_PUBLIC_BASE_URL")? {
            Some(url) => check_http_url("PICPASS_PUBLIC_BASE_URL", &url)?
                .trim_end_matches('/')
                .to_owned(),
            None => "http://127.0.0.1:8080".to_owned(),
        };

        let defaults = Limits::default();
        let number = |name: &str, default: u64, min: u64, max: u64| -> Result<u64> {
            let Some(text) = get(name)? else {
                return Ok(default);
            };
            let value: u64 = text.replace('_', "").parse().map_err(|_| {
                config_error(name, &format!("must be a whole number, got {text:?}"))
            })?;
            if !(min..=max).contains(&value) {
                return Err(config_error(
                    name,
                    &format!("must be between {min} and {max}, got {value}"),
                ));
            }
            Ok(value)
        };
        let count = |name: &str, default: u32, max: u32| -> Result<u32> {
            let value = number(name, u64::from(default), 1, u64::from(max))?;
            u32::try_from(value).map_err(|_| config_error(name, "is too large"))
        };

        let max_single_put_bytes = number(
            "PICPASS_MAX_SINGLE_PUT_BYTES",
            defaults.max_single_put_bytes,
            1,
            S3_MAX_PUT_BYTES,
        )?;
        let multipart_part_bytes = number(
            "PICPASS_MULTIPART_PART_BYTES",
            defaults.multipart_part_bytes,
            S3_MIN_PART_BYTES,
            S3_MAX_PUT_BYTES,
        )?;
        // The pipeline processes originals up to MAX_ORIGINAL_BYTES; S3 allows 10,000 parts.
        let max_file_bytes = number(
            "PICPASS_MAX_FILE_BYTES",
            defaults.max_file_bytes,
            1,
            MAX_ORIGINAL_BYTES.min(multipart_part_bytes.saturating_mul(10_000)),
        )?;
        let limits = Limits {
            max_json_body_bytes: number(
                "PICPASS_MAX_JSON_BODY_BYTES",
                defaults.max_json_body_bytes,
                1024,
                64 * MIB,
            )?,
            max_single_put_bytes,
            multipart_part_bytes,
            max_file_bytes,
            max_photos_per_event: count(
                "PICPASS_MAX_PHOTOS_PER_EVENT",
                defaults.max_photos_per_event,
                1_000_000,
            )?,
            max_files_per_upload: count(
                "PICPASS_MAX_FILES_PER_UPLOAD",
                defaults.max_files_per_upload,
                10_000,
            )?,
            max_pixels: number(
                "PICPASS_MAX_MEGAPIXELS",
                defaults.max_pixels / 1_000_000,
                1,
                1_000,
            )? * 1_000_000,
            max_side_px: count("PICPASS_MAX_SIDE_PX", defaults.max_side_px, 1_000_000)?,
            upload_url_ttl: Duration::from_secs(number(
                "PICPASS_UPLOAD_URL_TTL_SECS",
                MAX_UPLOAD_URL_TTL_SECS,
                1,
                MAX_UPLOAD_URL_TTL_SECS,
            )?),
        };

        // Which function needs which key is `crate::wiring`'s business, as for the queues.
        let code = secrets::read(&get, storage, &secrets::CODE)?;
        let viewer_token = secrets::read(&get, storage, &secrets::VIEWER_TOKEN)?;
        let behind_cloudfront = match get("PICPASS_BEHIND_CLOUDFRONT")?.as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(config_error(
                    "PICPASS_BEHIND_CLOUDFRONT",
                    &format!("must be true or false, got {other:?}"),
                ));
            }
        };

        // S3-compatible endpoints on an address need path-style; AWS S3 uses host-style.
        let s3_path_style =
            get("AWS_ENDPOINT_URL_S3")?.is_some() || get("AWS_ENDPOINT_URL")?.is_some();

        Ok(Self {
            storage,
            s3_path_style,
            code_secret: code.current,
            previous_code_secrets: code.previous,
            code_secret_arn: code.arn,
            viewer_token_secret: viewer_token.current,
            previous_viewer_token_secrets: viewer_token.previous,
            viewer_token_secret_arn: viewer_token.arn,
            behind_cloudfront,
            data_dir: get("PICPASS_DATA_DIR")?
                .map_or_else(|| PathBuf::from("./.picpass"), PathBuf::from),
            bucket,
            table_prefix: get("PICPASS_TABLE_PREFIX")?.unwrap_or_else(|| "picpass".to_owned()),
            process_queue_url,
            jobs_queue_url,
            public_base_url,
            limits,
        })
    }
}

fn config_error(name: &str, problem: &str) -> Error {
    Error::internal_msg(format!("configuration: {name} {problem}"))
}

fn check_http_url<'a>(name: &str, value: &'a str) -> Result<&'a str> {
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(value),
        _ => Err(config_error(
            name,
            &format!("must be an http(s) URL, got {value:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    pub(super) fn parse(vars: &[(&str, &str)]) -> Result<Config> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| Ok(vars.get(name).cloned()))
    }

    pub(super) fn message(result: Result<Config>) -> String {
        result
            .expect_err("configuration must be refused")
            .to_string()
    }

    const AWS: &[(&str, &str)] = &[
        ("PICPASS_STORAGE", "aws"),
        ("PICPASS_BUCKET", "picpass-photos"),
        (
            "PICPASS_PROCESS_QUEUE_URL",
            "https://sqs.us-east-1.amazonaws.com/1/process",
        ),
        (
            "PICPASS_JOBS_QUEUE_URL",
            "https://sqs.us-east-1.amazonaws.com/1/jobs",
        ),
        ("PICPASS_PUBLIC_BASE_URL", "https://photos.example.com/"),
        (
            "PICPASS_CODE_SECRET",
            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        ),
    ];

    #[test]
    fn empty_environment_gives_the_local_defaults() {
        let config = parse(&[]).expect("defaults");
        assert_eq!(config.storage, StorageMode::Local);
        assert_eq!(config.data_dir, PathBuf::from("./.picpass"));
        assert_eq!(config.table_prefix, "picpass");
        assert_eq!(config.public_base_url, "http://127.0.0.1:8080");
        assert_eq!(config.bucket, None);
        assert_eq!(config.limits, Limits::default());
        assert_eq!(config.limits.max_json_body_bytes, 1024 * 1024);
        assert_eq!(config.limits.max_single_put_bytes, 32 * 1024 * 1024);
        assert_eq!(config.limits.multipart_part_bytes, 8 * 1024 * 1024);
        assert_eq!(config.limits.max_file_bytes, 200 * 1024 * 1024);
        assert_eq!(config.limits.max_photos_per_event, 20_000);
        assert_eq!(config.limits.max_pixels, 100_000_000);
        assert_eq!(config.limits.max_side_px, 20_000);
        assert_eq!(config.limits.upload_url_ttl, Duration::from_secs(900));
    }

    #[test]
    fn aws_mode_reads_every_resource() {
        let config = parse(AWS).expect("aws config");
        assert_eq!(config.storage, StorageMode::Aws);
        assert_eq!(config.bucket.as_deref(), Some("picpass-photos"));
        assert_eq!(
            config.jobs_queue_url.as_deref(),
            Some("https://sqs.us-east-1.amazonaws.com/1/jobs")
        );
        assert_eq!(config.public_base_url, "https://photos.example.com");
    }

    #[test]
    fn path_style_follows_a_custom_s3_endpoint() {
        assert!(!parse(AWS).expect("aws config").s3_path_style);
        for endpoint in ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"] {
            let mut vars = AWS.to_vec();
            vars.push((endpoint, "http://127.0.0.1:9000"));
            assert!(
                parse(&vars).expect("aws config").s3_path_style,
                "{endpoint}"
            );
        }
    }

    #[test]
    fn code_secret_is_decoded_checked_and_never_printed() {
        let config = parse(AWS).expect("aws config");
        let secret = config.code_secret.clone().expect("secret");
        assert_eq!(
            secret.expose().len(),
            32,
            "64 hex digits decode to 32 bytes"
        );
        assert_eq!(secret.expose()[1], 0x11);
        let debug = format!("{config:?}");
        assert!(!debug.contains("00112233"), "{debug}");
        let phrase = "a passphrase of more than thirty-two bytes";
        let config = parse(&[("PICPASS_CODE_SECRET", phrase)]).expect("passphrase");
        assert_eq!(
            config.code_secret.expect("secret").expose(),
            phrase.as_bytes()
        );
        let text = message(parse(&[("PICPASS_CODE_SECRET", "short")]));
        assert!(text.contains("PICPASS_CODE_SECRET"), "{text}");
        assert!(
            !text.contains("short"),
            "the value must not be echoed: {text}"
        );
    }

    #[test]
    fn previous_code_secrets_are_a_checked_comma_separated_list() {
        let a = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let b = "a passphrase of more than thirty-two bytes";
        let config =
            parse(&[("PICPASS_CODE_SECRET_PREVIOUS", &format!("{a}, {b},"))]).expect("list");
        assert_eq!(config.previous_code_secrets.len(), 2);
        assert_eq!(config.previous_code_secrets[1].expose(), b.as_bytes());
        let text = message(parse(&[(
            "PICPASS_CODE_SECRET_PREVIOUS",
            &format!("{a},short"),
        )]));
        assert!(text.contains("PICPASS_CODE_SECRET_PREVIOUS"), "{text}");
        assert!(!text.contains("short"), "{text}");
    }

    #[test]
    fn unknown_storage_mode_is_refused() {
        let text = message(parse(&[("PICPASS_STORAGE", "s3")]));
        assert!(
            text.contains("PICPASS_STORAGE") && text.contains("s3"),
            "{text}"
        );
    }

    #[test]
    fn limits_can_be_overridden() {
        let config = parse(&[
            ("PICPASS_MAX_JSON_BODY_BYTES", "2_097_152"),
            ("PICPASS_UPLOAD_URL_TTL_SECS", "300"),
            ("PICPASS_MAX_MEGAPIXELS", "50"),
            ("PICPASS_MAX_PHOTOS_PER_EVENT", " 100 "),
        ])
        .expect("overrides");
        assert_eq!(config.limits.max_json_body_bytes, 2 * 1024 * 1024);
        assert_eq!(config.limits.upload_url_ttl, Duration::from_secs(300));
        assert_eq!(config.limits.max_pixels, 50_000_000);
        assert_eq!(config.limits.max_photos_per_event, 100);
    }

    #[test]
    fn bad_numbers_are_refused_naming_the_variable() {
        for (name, value) in [
            ("PICPASS_MAX_SIDE_PX", "wide"),
            ("PICPASS_MAX_SIDE_PX", "-1"),
            ("PICPASS_MAX_SIDE_PX", "0"),
            ("PICPASS_UPLOAD_URL_TTL_SECS", "901"),
            ("PICPASS_MULTIPART_PART_BYTES", "1048576"),
            ("PICPASS_MAX_PHOTOS_PER_EVENT", "99999999999999999999999"),
            ("PICPASS_MAX_FILE_BYTES", "209715201"),
        ] {
            let text = message(parse(&[(name, value)]));
            assert!(text.contains(name), "{name}={value}: {text}");
        }
    }

    #[test]
    fn bad_urls_and_bucket_names_are_refused() {
        let text = message(parse(&[("PICPASS_PUBLIC_BASE_URL", "photos.example.com")]));
        assert!(text.contains("PICPASS_PUBLIC_BASE_URL"), "{text}");
        let text = message(parse(&[("PICPASS_JOBS_QUEUE_URL", "ftp://x/y")]));
        assert!(text.contains("PICPASS_JOBS_QUEUE_URL"), "{text}");
        let text = message(parse(&[("PICPASS_BUCKET", "ab")]));
        assert!(text.contains("PICPASS_BUCKET"), "{text}");
    }

    #[test]
    fn empty_values_count_as_unset() {
        let config =
            parse(&[("PICPASS_DATA_DIR", ""), ("PICPASS_STORAGE", " ")]).expect("empty values");
        assert_eq!(config.data_dir, PathBuf::from("./.picpass"));
        assert_eq!(config.storage, StorageMode::Local);
    }
}
