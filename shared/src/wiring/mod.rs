//! What each function runs on, built from [`Config`] in one place per storage mode.
//!
//! A function names itself ([`Function`]); [`Function::needs`] says which resources and
//! secrets it reads beyond the catalog and the blobs, and the builders insist on exactly
//! those, so a missing setting stops the cold start with a message naming the variable,
//! and no function requires a variable it never reads. On AWS the secrets it needs are read
//! from Secrets Manager here, once per cold start.

pub mod local;

use std::sync::Arc;

use aws_config::SdkConfig;

use crate::adapters::dynamo_catalog::{DynamoCatalog, DynamoTables};
use crate::adapters::s3_blobs::{S3Blobs, S3BlobsConfig};
use crate::adapters::secrets_manager::{KeyVersions, SecretsManagerKeys};
use crate::adapters::sqs_queue::SqsSender;
use crate::config::{Config, Secret, StorageMode};
use crate::error::{Error, Result};
use crate::ports::{Blobs, Catalog, QueueSender};

/// The deployed functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    /// Upload tickets and multipart steps (HTTP, photographer).
    Presign,
    /// Events, photos, codes, derivatives (HTTP, photographer).
    Events,
    /// Processing of uploaded originals and derivative jobs (SQS).
    Process,
    /// The viewer side (HTTP, public then viewer token).
    Gallery,
    /// Zip archives (SQS).
    Archive,
    /// Deletion of everything expired (DynamoDB stream and schedule).
    Reaper,
}

/// What a function reads beyond the catalog and the blobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Needs {
    /// Sends to the process queue (`PICPASS_PROCESS_QUEUE_URL`).
    pub process_queue: bool,
    /// Sends to the jobs queue (`PICPASS_JOBS_QUEUE_URL`).
    pub jobs_queue: bool,
    /// Hashes, seals or looks up access codes (`PICPASS_CODE_SECRET`; on AWS the secret
    /// named by `PICPASS_CODE_SECRET_ARN`).
    pub code_secret: bool,
    /// Issues and checks viewer tokens (`PICPASS_VIEWER_TOKEN_SECRET`; on AWS the secret
    /// named by `PICPASS_VIEWER_TOKEN_SECRET_ARN`).
    pub viewer_token_secret: bool,
}

impl Function {
    /// Every function, in the order the docs list them.
    pub const ALL: [Function; 6] = [
        Function::Presign,
        Function::Events,
        Function::Process,
        Function::Gallery,
        Function::Archive,
        Function::Reaper,
    ];

    /// Its name: the binary's and the folder's under `functions/`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Presign => "presign",
            Self::Events => "events",
            Self::Process => "process",
            Self::Gallery => "gallery",
            Self::Archive => "archive",
            Self::Reaper => "reaper",
        }
    }

    /// What it reads beyond the catalog and the blobs.
    pub fn needs(self) -> Needs {
        match self {
            Self::Presign | Self::Reaper => Needs::default(),
            // The retry route re-queues an original; derivative jobs go to `process`.
            Self::Events => Needs {
                process_queue: true,
                code_secret: true,
                ..Needs::default()
            },
            // A long derivative job sends its next slice to its own queue.
            Self::Process => Needs {
                process_queue: true,
                ..Needs::default()
            },
            Self::Gallery => Needs {
                jobs_queue: true,
                code_secret: true,
                viewer_token_secret: true,
                ..Needs::default()
            },
            // A long archive sends its next slice to its own queue.
            Self::Archive => Needs {
                jobs_queue: true,
                ..Needs::default()
            },
        }
    }

    /// The `PICPASS_*` variables it needs on AWS (the deployment template sets them): the
    /// secrets by their ARNs, so their values never sit in the function's configuration.
    pub fn aws_variables(self) -> Vec<&'static str> {
        let needs = self.needs();
        let mut vars = vec!["PICPASS_STORAGE", "PICPASS_BUCKET", "PICPASS_TABLE_PREFIX"];
        let optional = [
            (needs.process_queue, "PICPASS_PROCESS_QUEUE_URL"),
            (needs.jobs_queue, "PICPASS_JOBS_QUEUE_URL"),
            (needs.code_secret, "PICPASS_CODE_SECRET_ARN"),
            (needs.viewer_token_secret, "PICPASS_VIEWER_TOKEN_SECRET_ARN"),
        ];
        vars.extend(optional.iter().filter(|(on, _)| *on).map(|(_, name)| *name));
        vars
    }
}

/// The adapters one process runs on, built once.
#[derive(Debug, Clone)]
pub struct Adapters {
    /// Events, photos, codes, users, counters, jobs.
    pub catalog: Arc<dyn Catalog>,
    /// Originals, derivatives, archives.
    pub blobs: Arc<dyn Blobs>,
    /// The process queue, when the function sends to it.
    pub process_queue: Option<Arc<dyn QueueSender>>,
    /// The jobs queue, when the function sends to it.
    pub jobs_queue: Option<Arc<dyn QueueSender>>,
    /// The bucket named in S3 notifications the function writes itself.
    pub bucket: String,
}

impl Adapters {
    /// The AWS adapters `function` uses: DynamoDB, S3 and SQS senders, from the SDK's
    /// standard configuration (region, credentials, `AWS_ENDPOINT_URL_*`); and `config`
    /// with the secrets `function` needs read from Secrets Manager ([`Adapters::aws_on`]).
    pub async fn aws(config: Config, function: Function) -> Result<(Config, Self)> {
        check_aws_storage(&config, function)?;
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        Self::aws_on(config, function, &sdk).await
    }

    /// [`Adapters::aws`] on a given SDK configuration (tests point it at an emulator).
    ///
    /// The settings `function` needs are checked before anything is read, so a missing one
    /// is named without a request; then its secrets named by ARN are read, once, and must
    /// be there.
    pub async fn aws_on(
        mut config: Config,
        function: Function,
        sdk: &SdkConfig,
    ) -> Result<(Config, Self)> {
        check_aws_storage(&config, function)?;
        let needs = function.needs();
        let bucket = required(&config.bucket, "PICPASS_BUCKET", function)?;
        let wanted = |on: bool, url: &Option<String>, name: &'static str| {
            on.then(|| required(url, name, function)).transpose()
        };
        let process_url = wanted(
            needs.process_queue,
            &config.process_queue_url,
            "PICPASS_PROCESS_QUEUE_URL",
        )?;
        let jobs_url = wanted(
            needs.jobs_queue,
            &config.jobs_queue_url,
            "PICPASS_JOBS_QUEUE_URL",
        )?;
        read_secrets(&mut config, function, sdk).await?;
        if needs.code_secret {
            required(
                &config.code_secret,
                "PICPASS_CODE_SECRET_ARN (or PICPASS_CODE_SECRET)",
                function,
            )?;
        }
        if needs.viewer_token_secret {
            required(
                &config.viewer_token_secret,
                "PICPASS_VIEWER_TOKEN_SECRET_ARN (or PICPASS_VIEWER_TOKEN_SECRET)",
                function,
            )?;
        }
        let blobs = S3Blobs::new(
            sdk,
            S3BlobsConfig {
                bucket: bucket.clone(),
                force_path_style: config.s3_path_style,
            },
        )
        .await?;
        let sqs = aws_sdk_sqs::Client::new(sdk);
        let sender = |url: Option<String>| {
            url.map(|url| Arc::new(SqsSender::new(sqs.clone(), url)) as Arc<dyn QueueSender>)
        };
        let adapters = Self {
            catalog: Arc::new(DynamoCatalog::from_sdk_config(
                sdk,
                DynamoTables::with_prefix(&config.table_prefix),
            )),
            blobs: Arc::new(blobs),
            process_queue: sender(process_url),
            jobs_queue: sender(jobs_url),
            bucket,
        };
        Ok((config, adapters))
    }
}

fn check_aws_storage(config: &Config, function: Function) -> Result<()> {
    match config.storage {
        StorageMode::Aws => Ok(()),
        StorageMode::Local => Err(Error::internal_msg(format!(
            "the {} function's AWS adapters need PICPASS_STORAGE=aws",
            function.name()
        ))),
    }
}

/// Reads the secrets `function` needs that `config` names by ARN, both at once, into
/// `config`: the current version as the key, the previous one (after a rotation) first
/// among the earlier keys. Secrets it does not need are not read, even when named.
async fn read_secrets(config: &mut Config, function: Function, sdk: &SdkConfig) -> Result<()> {
    let needs = function.needs();
    let keys = SecretsManagerKeys::from_sdk_config(sdk);
    let read = |needed: bool, arn: &Option<String>, variable: &'static str| {
        let named = arn.clone().filter(|_| needed);
        let keys = &keys;
        async move {
            match named {
                Some(arn) => keys.read(variable, &arn).await.map(Some),
                None => Ok(None),
            }
        }
    };
    let (code, viewer_token) = futures::try_join!(
        read(
            needs.code_secret,
            &config.code_secret_arn,
            "PICPASS_CODE_SECRET_ARN"
        ),
        read(
            needs.viewer_token_secret,
            &config.viewer_token_secret_arn,
            "PICPASS_VIEWER_TOKEN_SECRET_ARN",
        ),
    )?;
    if let Some(versions) = code {
        install(
            versions,
            &mut config.code_secret,
            &mut config.previous_code_secrets,
        );
    }
    if let Some(versions) = viewer_token {
        install(
            versions,
            &mut config.viewer_token_secret,
            &mut config.previous_viewer_token_secrets,
        );
    }
    Ok(())
}

/// A key read from its secret, in place of the configuration's: `AWSPREVIOUS` is the
/// newest earlier key, so it goes before any listed in `*_PREVIOUS`.
fn install(versions: KeyVersions, current: &mut Option<Secret>, previous: &mut Vec<Secret>) {
    if let Some(before) = versions.previous {
        previous.insert(0, before);
    }
    *current = Some(versions.current);
}

/// What every Lambda binary's cold start does: reads the configuration from the
/// environment and builds `function`'s adapters on the storage it names — AWS
/// ([`Adapters::aws`], which also reads the function's secrets from Secrets Manager) or the local data directory ([`local::LocalStack`], whose generated
/// secrets fill in the configuration's).
pub async fn from_env(function: Function) -> Result<(Config, Adapters)> {
    let config = Config::from_env()?;
    match config.storage {
        StorageMode::Aws => Adapters::aws(config, function).await,
        StorageMode::Local => {
            let stack = local::LocalStack::open(&config)?;
            let adapters = stack.adapters(function)?;
            Ok((stack.config, adapters))
        }
    }
}

/// A setting `function` cannot run without.
pub fn required<T: Clone>(value: &Option<T>, name: &str, function: Function) -> Result<T> {
    value.clone().ok_or_else(|| {
        Error::internal_msg(format!(
            "configuration: {name} is required by the {} function",
            function.name()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_needs_exactly_what_it_reads() {
        assert_eq!(
            Function::Presign.aws_variables(),
            ["PICPASS_STORAGE", "PICPASS_BUCKET", "PICPASS_TABLE_PREFIX"]
        );
        let events = Function::Events.aws_variables();
        assert!(events.contains(&"PICPASS_CODE_SECRET_ARN"));
        assert!(
            !events.contains(&"PICPASS_CODE_SECRET"),
            "on AWS the value is read from Secrets Manager, not given"
        );
        assert!(events.contains(&"PICPASS_PROCESS_QUEUE_URL"));
        assert!(!events.contains(&"PICPASS_JOBS_QUEUE_URL"));
        assert!(
            !Function::Process
                .aws_variables()
                .contains(&"PICPASS_CODE_SECRET_ARN")
        );
        let gallery = Function::Gallery.aws_variables();
        assert!(gallery.contains(&"PICPASS_VIEWER_TOKEN_SECRET_ARN"));
        let names: std::collections::HashSet<_> = Function::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(names.len(), 6);
    }

    #[tokio::test]
    async fn a_missing_setting_is_named_at_start_up() {
        let config = Config::from_lookup(|name| {
            Ok(match name {
                "PICPASS_STORAGE" => Some("aws".to_owned()),
                "PICPASS_BUCKET" => Some("picpass-test".to_owned()),
                _ => None,
            })
        })
        .expect("config");
        let err = Adapters::aws(config, Function::Events)
            .await
            .expect_err("the process queue is missing");
        assert!(
            err.to_string().contains("PICPASS_PROCESS_QUEUE_URL"),
            "{err}"
        );
        let config = Config::from_lookup(|name| {
            Ok(match name {
                "PICPASS_STORAGE" => Some("aws".to_owned()),
                "PICPASS_BUCKET" => Some("picpass-test".to_owned()),
                "PICPASS_JOBS_QUEUE_URL" => Some("http://127.0.0.1:1/q".to_owned()),
                _ => None,
            })
        })
        .expect("config");
        let err = Adapters::aws(config, Function::Gallery)
            .await
            .expect_err("no secret is named");
        assert!(err.to_string().contains("PICPASS_CODE_SECRET_ARN"), "{err}");
        let local = Config::from_lookup(|_| Ok(None)).expect("config");
        let err = Adapters::aws(local, Function::Presign)
            .await
            .expect_err("local storage");
        assert!(err.to_string().contains("PICPASS_STORAGE"), "{err}");
    }

    #[test]
    fn a_rotated_secret_puts_its_previous_version_before_the_listed_ones() {
        let key = |byte: u8| Secret::parse(&hex::encode([byte; 32])).expect("key");
        let mut current = Some(key(1));
        let mut previous = vec![key(2)];
        install(
            KeyVersions {
                current: key(3),
                previous: Some(key(4)),
            },
            &mut current,
            &mut previous,
        );
        assert_eq!(current, Some(key(3)));
        assert_eq!(previous, [key(4), key(2)]);
    }
}
