//! The two keys' settings: the code secret and the viewer-token secret.
//!
//! Each key is either given as a value (`PICPASS_CODE_SECRET`: the local stack and tests) or,
//! on AWS, named by the Secrets Manager secret that holds it (`PICPASS_CODE_SECRET_ARN`),
//! which the cold start reads once (`crate::wiring`), so the value never sits in the
//! function's configuration and a rotation needs no redeploy. Giving both is refused rather
//! than ranked: a value left behind after a move to Secrets Manager would otherwise win (or
//! lose) silently. Earlier keys (`*_PREVIOUS`) may be listed either way; on AWS they come
//! after the secret's own `AWSPREVIOUS` version.

use super::config_error;
use crate::config::StorageMode;
use crate::error::Result;

/// Bytes that must not appear in logs: `Debug` prints only their length.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Shortest secret accepted.
    pub const MIN_BYTES: usize = 32;

    /// Parses a configured secret: 64 or more hex digits are decoded, anything else is used
    /// as its UTF-8 bytes. Shorter than [`Secret::MIN_BYTES`] is refused.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        let is_hex =
            t.len() >= 64 && t.len().is_multiple_of(2) && t.bytes().all(|b| b.is_ascii_hexdigit());
        let bytes = match is_hex {
            true => hex::decode(t).ok()?,
            false => t.as_bytes().to_vec(),
        };
        (bytes.len() >= Self::MIN_BYTES).then_some(Self(bytes))
    }

    /// The key bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({} bytes)", self.0.len())
    }
}

/// What [`Secret::parse`] refuses, said the same way for every source.
pub(crate) const TOO_SHORT: &str =
    "must be at least 32 bytes (e.g. 64 hex digits from `openssl rand -hex 32`)";

/// The variables of one key.
pub(super) struct KeyVariables {
    /// The value itself.
    pub value: &'static str,
    /// Earlier values, comma-separated.
    pub previous: &'static str,
    /// The Secrets Manager secret holding the value.
    pub arn: &'static str,
}

/// One key's settings, as read from its variables.
pub(super) struct KeySettings {
    pub current: Option<Secret>,
    pub previous: Vec<Secret>,
    pub arn: Option<String>,
}

/// The access-code key's variables.
pub(super) const CODE: KeyVariables = KeyVariables {
    value: "PICPASS_CODE_SECRET",
    previous: "PICPASS_CODE_SECRET_PREVIOUS",
    arn: "PICPASS_CODE_SECRET_ARN",
};

/// The viewer-token key's variables.
pub(super) const VIEWER_TOKEN: KeyVariables = KeyVariables {
    value: "PICPASS_VIEWER_TOKEN_SECRET",
    previous: "PICPASS_VIEWER_TOKEN_SECRET_PREVIOUS",
    arn: "PICPASS_VIEWER_TOKEN_SECRET_ARN",
};

/// Reads one key's variables through `get` (trimmed, empty = unset).
pub(super) fn read(
    get: &impl Fn(&str) -> Result<Option<String>>,
    storage: StorageMode,
    vars: &KeyVariables,
) -> Result<KeySettings> {
    let current = get(vars.value)?
        .map(|text| Secret::parse(&text).ok_or_else(|| config_error(vars.value, TOO_SHORT)))
        .transpose()?;
    let arn = get(vars.arn)?;
    if let Some(arn) = &arn {
        check_secret_id(vars, storage, arn, current.is_some())?;
    }
    Ok(KeySettings {
        current,
        previous: previous_list(get, vars.previous)?,
        arn,
    })
}

/// Earlier secrets, comma-separated, newest first.
fn previous_list(get: &impl Fn(&str) -> Result<Option<String>>, name: &str) -> Result<Vec<Secret>> {
    let Some(text) = get(name)? else {
        return Ok(Vec::new());
    };
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            Secret::parse(t).ok_or_else(|| {
                config_error(
                    name,
                    "must list secrets of at least 32 bytes each, separated by commas",
                )
            })
        })
        .collect()
}

/// A secret's ARN or name: read only on AWS, never beside a value, and shaped like what
/// Secrets Manager accepts (so a typo fails here, not as an access error at the first read).
fn check_secret_id(
    vars: &KeyVariables,
    storage: StorageMode,
    id: &str,
    value_given: bool,
) -> Result<()> {
    if value_given {
        return Err(config_error(
            vars.arn,
            &format!(
                "and {} are both set: give the value or the secret to read it from, not both",
                vars.value
            ),
        ));
    }
    if storage != StorageMode::Aws {
        return Err(config_error(
            vars.arn,
            "is read only with PICPASS_STORAGE=aws (the local stack keeps its keys in the data directory)",
        ));
    }
    let name_chars = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_+=.@-".contains(&b))
    };
    let well_formed = match id.strip_prefix("arn:") {
        Some(rest) => rest.contains(":secretsmanager:") && rest.contains(":secret:"),
        None => id.len() <= 512 && name_chars(id),
    };
    match well_formed {
        true => Ok(()),
        false => Err(config_error(
            vars.arn,
            &format!("must be a Secrets Manager secret's ARN or name, got {id:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{message, parse};

    const ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:picpass-code-AbCdEf";
    const VALUE: &str = "a passphrase of more than thirty-two bytes";

    #[test]
    fn a_secret_arn_is_read_on_aws_and_leaves_the_value_to_the_cold_start() {
        let config = parse(&[
            ("PICPASS_STORAGE", "aws"),
            ("PICPASS_CODE_SECRET_ARN", ARN),
            ("PICPASS_VIEWER_TOKEN_SECRET_ARN", "picpass/viewer-token"),
        ])
        .expect("ARNs");
        assert_eq!(config.code_secret_arn.as_deref(), Some(ARN));
        assert_eq!(
            config.viewer_token_secret_arn.as_deref(),
            Some("picpass/viewer-token"),
            "a name works as well as an ARN"
        );
        assert_eq!(config.code_secret, None);
        assert_eq!(config.viewer_token_secret, None);
    }

    #[test]
    fn a_value_and_an_arn_together_are_refused() {
        for (value, arn) in [
            ("PICPASS_CODE_SECRET", "PICPASS_CODE_SECRET_ARN"),
            (
                "PICPASS_VIEWER_TOKEN_SECRET",
                "PICPASS_VIEWER_TOKEN_SECRET_ARN",
            ),
        ] {
            let text = message(parse(&[
                ("PICPASS_STORAGE", "aws"),
                (value, VALUE),
                (arn, ARN),
            ]));
            assert!(text.contains(value) && text.contains(arn), "{text}");
            assert!(
                !text.contains(VALUE),
                "the value must not be echoed: {text}"
            );
        }
    }

    #[test]
    fn an_arn_needs_aws_storage_and_a_secrets_shape() {
        let text = message(parse(&[("PICPASS_CODE_SECRET_ARN", ARN)]));
        assert!(
            text.contains("PICPASS_CODE_SECRET_ARN") && text.contains("PICPASS_STORAGE=aws"),
            "{text}"
        );
        for bad in ["arn:aws:s3:::picpass-photos", "my secret", "picpass/code?"] {
            let text = message(parse(&[
                ("PICPASS_STORAGE", "aws"),
                ("PICPASS_VIEWER_TOKEN_SECRET_ARN", bad),
            ]));
            assert!(
                text.contains("PICPASS_VIEWER_TOKEN_SECRET_ARN"),
                "{bad}: {text}"
            );
        }
    }

    #[test]
    fn previous_secrets_may_accompany_an_arn() {
        let config = parse(&[
            ("PICPASS_STORAGE", "aws"),
            ("PICPASS_CODE_SECRET_ARN", ARN),
            ("PICPASS_CODE_SECRET_PREVIOUS", VALUE),
        ])
        .expect("ARN and an older secret");
        assert_eq!(config.previous_code_secrets.len(), 1);
    }
}
