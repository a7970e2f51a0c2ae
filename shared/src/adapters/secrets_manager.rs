//! The functions' keys (the code secret, the viewer-token secret) read from AWS Secrets
//! Manager, once per cold start (`crate::wiring`): the value never sits in the function's
//! configuration, and a new value reaches every new cold start without a redeploy.
//!
//! A key is read in two versions: `AWSCURRENT`, the one new codes and tokens are made with,
//! and `AWSPREVIOUS`, the one before the last `PutSecretValue` (Secrets Manager moves the
//! label itself), which keeps what was made before a rotation valid. Every failure names the
//! variable that named the secret, and the secret, never its value.

use aws_config::SdkConfig;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::config::http::HttpResponse;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::operation::get_secret_value::{
    GetSecretValueError, GetSecretValueOutput,
};

use crate::adapters::aws_errors;
use crate::config::{SECRET_TOO_SHORT, Secret};
use crate::error::{Error, Result};

/// The version new codes and tokens are made with.
const CURRENT: &str = "AWSCURRENT";
/// The version before the last rotation.
const PREVIOUS: &str = "AWSPREVIOUS";

/// A key as its secret holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyVersions {
    /// `AWSCURRENT`.
    pub current: Secret,
    /// `AWSPREVIOUS`, when the secret has been rotated (and differs from the current).
    pub previous: Option<Secret>,
}

/// Reads keys from Secrets Manager.
#[derive(Debug, Clone)]
pub struct SecretsManagerKeys {
    client: Client,
}

impl SecretsManagerKeys {
    /// On the SDK configuration the other clients use.
    pub fn from_sdk_config(sdk: &SdkConfig) -> Self {
        Self {
            client: Client::new(sdk),
        }
    }

    /// Reads the key in `secret_id` (an ARN or a name, from the variable `variable`).
    ///
    /// The current version first, then the previous: a rotation between the two reads then
    /// gives the old value twice (the new one reaches the next cold start), never the new one
    /// without the old.
    pub async fn read(&self, variable: &str, secret_id: &str) -> Result<KeyVersions> {
        let current = self
            .get(secret_id, CURRENT)
            .await
            .map_err(|err| map_error(variable, secret_id, CURRENT, err))?;
        let current = parse(variable, secret_id, CURRENT, &current)?;
        let previous = match self.get(secret_id, PREVIOUS).await {
            Ok(output) => Some(parse(variable, secret_id, PREVIOUS, &output)?),
            // Never rotated: Secrets Manager has no such version of an existing secret.
            Err(err) if is_not_found(&err) => None,
            Err(err) => return Err(map_error(variable, secret_id, PREVIOUS, err)),
        };
        Ok(KeyVersions {
            previous: previous.filter(|previous| *previous != current),
            current,
        })
    }

    async fn get(
        &self,
        secret_id: &str,
        stage: &str,
    ) -> std::result::Result<GetSecretValueOutput, SdkError<GetSecretValueError, HttpResponse>>
    {
        self.client
            .get_secret_value()
            .secret_id(secret_id)
            .version_stage(stage)
            .send()
            .await
    }
}

/// One version's text as a key: refused, naming where it came from, if it is binary or too
/// short to be one.
fn parse(
    variable: &str,
    secret_id: &str,
    stage: &str,
    output: &GetSecretValueOutput,
) -> Result<Secret> {
    let refused = |problem: &str| {
        Error::internal_msg(format!(
            "configuration: the secret {secret_id} ({variable}, version {stage}) {problem}"
        ))
    };
    let text = output
        .secret_string()
        .ok_or_else(|| refused("holds no text (a binary secret?)"))?;
    Secret::parse(text).ok_or_else(|| refused(SECRET_TOO_SHORT))
}

/// By its code, as `aws_errors` reads every answer (the typed variant is only set when the
/// SDK parsed the answer's body).
fn is_not_found(err: &SdkError<GetSecretValueError, HttpResponse>) -> bool {
    err.as_service_error().and_then(ProvideErrorMetadata::code) == Some("ResourceNotFoundException")
}

/// A failed read, classified as every AWS call is (`aws_errors`): a missing secret is the
/// deployment's mistake, throttling and outages may pass on the next cold start.
fn map_error(
    variable: &str,
    secret_id: &str,
    stage: &str,
    err: SdkError<GetSecretValueError, HttpResponse>,
) -> Error {
    let resource = format!("secret {secret_id} ({variable}, version {stage})");
    aws_errors::map_sdk_error(
        "Secrets Manager",
        "GetSecretValue",
        &resource,
        err,
        |_, code| denied(code, variable, secret_id),
    )
}

/// Access denied is the deployment's policy: say what to grant (the shared class would
/// only say "failed (400 AccessDeniedException)").
fn denied(code: &str, variable: &str, secret_id: &str) -> Option<Error> {
    (code == "AccessDeniedException").then(|| {
        Error::internal_msg(format!(
            "configuration: the function may not read the secret {secret_id} ({variable}): \
             its role needs secretsmanager:GetSecretValue on it"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::primitives::SdkBody;
    use aws_sdk_secretsmanager::error::ErrorMetadata;

    fn answer(status: u16, code: &str) -> SdkError<GetSecretValueError, HttpResponse> {
        SdkError::service_error(
            GetSecretValueError::generic(ErrorMetadata::builder().code(code).build()),
            HttpResponse::new(status.try_into().expect("status"), SdkBody::empty()),
        )
    }

    const ARN: &str = "arn:aws:secretsmanager:us-east-1:1:secret:picpass-code-AbCdEf";

    #[test]
    fn access_denied_says_what_to_grant_on_which_secret() {
        let err = map_error(
            "PICPASS_CODE_SECRET_ARN",
            ARN,
            CURRENT,
            answer(400, "AccessDeniedException"),
        );
        let text = err.to_string();
        assert!(
            text.contains("PICPASS_CODE_SECRET_ARN")
                && text.contains(ARN)
                && text.contains("secretsmanager:GetSecretValue"),
            "{text}"
        );
        assert_eq!(err.http_status(), 500);
    }

    #[test]
    fn a_missing_secret_and_throttling_are_classified_as_everywhere() {
        let err = map_error(
            "PICPASS_VIEWER_TOKEN_SECRET_ARN",
            "picpass/viewer",
            CURRENT,
            answer(400, "ResourceNotFoundException"),
        );
        let text = err.to_string();
        assert!(
            text.contains("does not exist")
                && text.contains("PICPASS_VIEWER_TOKEN_SECRET_ARN")
                && text.contains("picpass/viewer"),
            "{text}"
        );
        assert!(is_not_found(&answer(400, "ResourceNotFoundException")));
        assert!(!is_not_found(&answer(400, "AccessDeniedException")));
        let err = map_error(
            "PICPASS_CODE_SECRET_ARN",
            ARN,
            PREVIOUS,
            answer(400, "ThrottlingException"),
        );
        assert_eq!(err.http_status(), 503, "{err}");
    }
}
