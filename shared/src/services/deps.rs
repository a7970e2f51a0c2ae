//! What the HTTP functions' services need, built once per process.

use std::sync::Arc;

use super::limits::ApiLimits;
use crate::codes_vault::CodeVault;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::ports::{Blobs, Catalog, QueueSender};
use crate::viewer_tokens::ViewerTokenKeys;
use crate::wiring::{Adapters, Function, required};

/// Ports and settings shared by every request of an HTTP function. The parts only some
/// functions use are `Option`s, set exactly for the functions that read them
/// ([`Function::needs`]); their accessors fail only if a test or a new function forgot one.
#[derive(Debug, Clone)]
pub struct Deps {
    /// Events, photos, codes, users, jobs.
    pub catalog: Arc<dyn Catalog>,
    /// Originals and derivatives.
    pub blobs: Arc<dyn Blobs>,
    /// The process queue: a retried photo (shaped like S3's notification) and custom
    /// derivative jobs go there (`process` does all image work).
    pub process_queue: Option<Arc<dyn QueueSender>>,
    /// The jobs queue (archives).
    pub jobs_queue: Option<Arc<dyn QueueSender>>,
    /// Hashes and seals access codes.
    pub vault: Option<CodeVault>,
    /// Issues and checks viewer tokens (the gallery).
    pub viewer_tokens: Option<ViewerTokenKeys>,
    /// Whether viewers' addresses come from CloudFront's header (`PICPASS_BEHIND_CLOUDFRONT`).
    pub behind_cloudfront: bool,
    /// Sizes, counts and URL lifetimes.
    pub limits: ApiLimits,
    /// The bucket named in re-queued S3 notifications.
    pub bucket: String,
}

impl Deps {
    /// For a Lambda function: reads [`Config`] from the environment and builds the
    /// adapters `function` uses on the configured storage ([`crate::wiring::from_env`]).
    /// Fails with a message naming what is missing.
    pub async fn from_env(function: Function) -> Result<Self> {
        let (config, adapters) = crate::wiring::from_env(function).await?;
        Self::new(&config, adapters, function)
    }

    /// The deps of `function` over `adapters`.
    pub fn new(config: &Config, adapters: Adapters, function: Function) -> Result<Self> {
        let vault = match function.needs().code_secret {
            true => {
                let current = required(&config.code_secret, "PICPASS_CODE_SECRET", function)?;
                let previous: Vec<&[u8]> = config
                    .previous_code_secrets
                    .iter()
                    .map(|s| s.expose())
                    .collect();
                Some(CodeVault::from_secrets(current.expose(), &previous)?)
            }
            false => None,
        };
        let viewer_tokens = match function.needs().viewer_token_secret {
            true => {
                let current = required(
                    &config.viewer_token_secret,
                    "PICPASS_VIEWER_TOKEN_SECRET",
                    function,
                )?;
                let previous: Vec<&[u8]> = config
                    .previous_viewer_token_secrets
                    .iter()
                    .map(|s| s.expose())
                    .collect();
                Some(ViewerTokenKeys::from_secrets(current.expose(), &previous)?)
            }
            false => None,
        };
        Ok(Self {
            catalog: adapters.catalog,
            blobs: adapters.blobs,
            process_queue: adapters.process_queue,
            jobs_queue: adapters.jobs_queue,
            vault,
            viewer_tokens,
            behind_cloudfront: config.behind_cloudfront,
            limits: ApiLimits::from_config(&config.limits)?,
            bucket: adapters.bucket,
        })
    }

    /// The process queue.
    pub fn process_queue(&self) -> Result<&dyn QueueSender> {
        self.process_queue
            .as_deref()
            .ok_or_else(|| not_wired("the process queue"))
    }

    /// The jobs queue.
    pub fn jobs_queue(&self) -> Result<&dyn QueueSender> {
        self.jobs_queue
            .as_deref()
            .ok_or_else(|| not_wired("the jobs queue"))
    }

    /// The viewer-token keys.
    pub fn viewer_tokens(&self) -> Result<&ViewerTokenKeys> {
        self.viewer_tokens
            .as_ref()
            .ok_or_else(|| not_wired("the viewer-token secret"))
    }

    /// The access-code vault.
    pub fn vault(&self) -> Result<&CodeVault> {
        self.vault
            .as_ref()
            .ok_or_else(|| not_wired("the access-code secret"))
    }
}

fn not_wired(what: &str) -> Error {
    Error::internal_msg(format!("{what} is not configured for this function"))
}
