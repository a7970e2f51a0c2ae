//! What each function runs on, built from [`Config`] in one place per storage mode.
//!
//! A function names itself ([`Function`]); [`Function::needs`] says which resources and
//! secrets it reads beyond the catalog and the blobs, and the builders insist on exactly
//! those, so a missing setting stops the cold start with a message naming the variable,
//! and no function requires a variable it never reads.

pub mod local;

use std::sync::Arc;

use crate::adapters::dynamo_catalog::{DynamoCatalog, DynamoTables};
use crate::adapters::s3_blobs::{S3Blobs, S3BlobsConfig};
use crate::adapters::sqs_queue::SqsSender;
use crate::config::{Config, StorageMode};
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
    /// Hashes, seals or looks up access codes (`PICPASS_CODE_SECRET`).
    pub code_secret: bool,
    /// Issues and checks viewer tokens (`PICPASS_VIEWER_TOKEN_SECRET`).
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

    /// The `PICPASS_*` variables it needs on AWS (the deployment template sets them).
    pub fn aws_variables(self) -> Vec<&'static str> {
        let needs = self.needs();
        let mut vars = vec!["PICPASS_STORAGE", "PICPASS_BUCKET", "PICPASS_TABLE_PREFIX"];
        let optional = [
            (needs.process_queue, "PICPASS_PROCESS_QUEUE_URL"),
            (needs.jobs_queue, "PICPASS_JOBS_QUEUE_URL"),
            (needs.code_secret, "PICPASS_CODE_SECRET"),
            (needs.viewer_token_secret, "PICPASS_VIEWER_TOKEN_SECRET"),
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
    /// standard configuration (region, credentials, `AWS_ENDPOINT_URL_*`).
    pub async fn aws(config: &Config, function: Function) -> Result<Self> {
        if config.storage != StorageMode::Aws {
            return Err(Error::internal_msg(format!(
                "the {} function's AWS adapters need PICPASS_STORAGE=aws",
                function.name()
            )));
        }
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
        if needs.code_secret {
            required(&config.code_secret, "PICPASS_CODE_SECRET", function)?;
        }
        if needs.viewer_token_secret {
            required(
                &config.viewer_token_secret,
                "PICPASS_VIEWER_TOKEN_SECRET",
                function,
            )?;
        }
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        let blobs = S3Blobs::new(
            &sdk,
            S3BlobsConfig {
                bucket: bucket.clone(),
                force_path_style: config.s3_path_style,
            },
        )
        .await?;
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let sender = |url: Option<String>| {
            url.map(|url| Arc::new(SqsSender::new(sqs.clone(), url)) as Arc<dyn QueueSender>)
        };
        Ok(Self {
            catalog: Arc::new(DynamoCatalog::from_sdk_config(
                &sdk,
                DynamoTables::with_prefix(&config.table_prefix),
            )),
            blobs: Arc::new(blobs),
            process_queue: sender(process_url),
            jobs_queue: sender(jobs_url),
            bucket,
        })
    }
}

/// What every Lambda binary's cold start does: reads the configuration from the
/// environment and builds `function`'s adapters on the storage it names — AWS
/// ([`Adapters::aws`]) or the local data directory ([`local::LocalStack`], whose generated
/// secrets fill in the configuration's).
pub async fn from_env(function: Function) -> Result<(Config, Adapters)> {
    let config = Config::from_env()?;
    match config.storage {
        StorageMode::Aws => {
            let adapters = Adapters::aws(&config, function).await?;
            Ok((config, adapters))
        }
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
        assert!(events.contains(&"PICPASS_CODE_SECRET"));
        assert!(events.contains(&"PICPASS_PROCESS_QUEUE_URL"));
        assert!(!events.contains(&"PICPASS_JOBS_QUEUE_URL"));
        assert!(
            !Function::Process
                .aws_variables()
                .contains(&"PICPASS_CODE_SECRET")
        );
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
        let err = Adapters::aws(&config, Function::Events)
            .await
            .expect_err("the process queue is missing");
        assert!(
            err.to_string().contains("PICPASS_PROCESS_QUEUE_URL"),
            "{err}"
        );
        let local = Config::from_lookup(|_| Ok(None)).expect("config");
        let err = Adapters::aws(&local, Function::Presign)
            .await
            .expect_err("local storage");
        assert!(err.to_string().contains("PICPASS_STORAGE"), "{err}");
    }
}
