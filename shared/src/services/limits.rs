//! The photographer API's limits (API.md "Limits"): defaults, and the deployment's values
//! from [`crate::config::Config`].

use crate::error::{Error, Result};

const MIB: u64 = 1024 * 1024;

/// Longest life of a presigned upload URL (DESIGN §8): 15 minutes.
pub const MAX_UPLOAD_URL_SECS: u64 = 900;

/// Media types an upload may declare. The processor re-checks the bytes.
pub const DEFAULT_ALLOWED_TYPES: &[&str] = &["image/jpeg", "image/png", "image/webp"];

/// Sizes, counts and lifetimes the photographer API enforces (defaults from API.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiLimits {
    /// JSON request bodies (default 1 MiB).
    pub max_body_bytes: usize,
    /// Files up to this size get one presigned PUT (default 32 MiB).
    pub single_put_max_bytes: u64,
    /// Largest file, uploaded in parts (default and maximum 200 MiB, the largest original
    /// the pipeline processes: [`crate::domain::MAX_ORIGINAL_BYTES`]).
    pub multipart_max_bytes: u64,
    /// Bytes per part (default 8 MiB; S3 needs ≥ 5 MiB).
    pub part_bytes: u64,
    /// Photos per event (default 20,000).
    pub max_photos_per_event: u64,
    /// Files per upload call (default 500).
    pub max_files_per_call: usize,
    /// Life of presigned upload and part URLs (default and maximum 900).
    pub upload_url_secs: u64,
    /// Life of signed thumbnail / web-copy URLs in listings (default 3600).
    pub view_url_secs: u64,
    /// Declared media types accepted (JPEG, PNG, WebP).
    pub allowed_types: Vec<String>,
    /// Image size limits, for custom derivatives rendered by the API.
    pub image: crate::pipeline::Limits,
    /// How wrong access codes are throttled (API.md "Throttling unlock").
    pub unlock: UnlockLimits,
}

/// Unlock throttling (API.md "Throttling unlock"): the documented values are the defaults;
/// tests shorten the windows to see them pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnlockLimits {
    /// Wrong codes an address may try per event within `address_window_secs` (10).
    pub per_address: u64,
    /// The window an address's wrong codes are counted in (15 minutes).
    pub address_window_secs: i64,
    /// How long an address over its limit is refused, right code or not (15 minutes).
    pub lockout_secs: i64,
    /// Wrong codes per event within `event_window_secs` past which addresses that already
    /// failed are refused (1,000).
    pub per_event: u64,
    /// The window of the per-event count (1 hour).
    pub event_window_secs: i64,
}

impl Default for UnlockLimits {
    fn default() -> Self {
        Self {
            per_address: 10,
            address_window_secs: 15 * 60,
            lockout_secs: 15 * 60,
            per_event: 1_000,
            event_window_secs: 60 * 60,
        }
    }
}

impl Default for ApiLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            single_put_max_bytes: 32 * MIB,
            multipart_max_bytes: crate::domain::MAX_ORIGINAL_BYTES,
            part_bytes: 8 * MIB,
            max_photos_per_event: 20_000,
            max_files_per_call: 500,
            upload_url_secs: MAX_UPLOAD_URL_SECS,
            view_url_secs: 3_600,
            allowed_types: DEFAULT_ALLOWED_TYPES
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
            image: crate::pipeline::Limits::default(),
            unlock: UnlockLimits::default(),
        }
    }
}

impl ApiLimits {
    /// The limits of the deployment's configuration (`crate::config::Limits`, read from the
    /// `PICPASS_*` variables documented in the README); view-URL lifetime and the type
    /// allowlist keep their defaults.
    pub fn from_config(limits: &crate::config::Limits) -> Result<Self> {
        let to_usize = |v: u64, name: &str| {
            usize::try_from(v).map_err(|_| Error::internal_msg(format!("{name} is too large")))
        };
        let api = Self {
            max_body_bytes: to_usize(limits.max_json_body_bytes, "PICPASS_MAX_JSON_BODY_BYTES")?,
            single_put_max_bytes: limits.max_single_put_bytes,
            multipart_max_bytes: limits.max_file_bytes,
            part_bytes: limits.multipart_part_bytes,
            max_photos_per_event: u64::from(limits.max_photos_per_event),
            max_files_per_call: to_usize(
                u64::from(limits.max_files_per_upload),
                "PICPASS_MAX_FILES_PER_UPLOAD",
            )?,
            upload_url_secs: limits.upload_url_ttl.as_secs(),
            image: limits.image_limits(),
            ..Self::default()
        };
        api.check()?;
        Ok(api)
    }

    /// Rejects combinations that cannot work (e.g. URLs living longer than 15 minutes).
    pub fn check(&self) -> Result<()> {
        let fail = |m: &str| Err(Error::internal_msg(m.to_owned()));
        if !(1..=MAX_UPLOAD_URL_SECS).contains(&self.upload_url_secs) {
            return fail("presigned upload URLs must live 1 to 900 seconds");
        }
        if !(1..=604_800).contains(&self.view_url_secs) {
            return fail("signed view URLs must live 1 to 604800 seconds");
        }
        if self.part_bytes < 5 * MIB {
            return fail("multipart parts must be at least 5 MiB (S3's minimum part)");
        }
        if self.multipart_max_bytes > crate::domain::MAX_ORIGINAL_BYTES {
            return fail("files above the pipeline's 200 MiB cannot be processed");
        }
        if self.multipart_max_bytes.div_ceil(self.part_bytes) > 10_000 {
            return fail("the largest file needs more than S3's 10,000 parts");
        }
        if self.single_put_max_bytes > 5 * 1024 * MIB {
            return fail("the single-PUT limit exceeds S3's 5 GiB");
        }
        if self.max_files_per_call == 0 || self.allowed_types.is_empty() {
            return fail("files per call and the type allowlist must be non-empty");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn defaults_match_api_md_and_config_applies() {
        let d = ApiLimits::default();
        assert_eq!(d.single_put_max_bytes, 32 * MIB);
        assert_eq!(d.multipart_max_bytes, 200 * MIB);
        assert_eq!(d.max_photos_per_event, 20_000);
        assert_eq!(d.max_files_per_call, 500);
        assert_eq!(d.max_body_bytes, 1024 * 1024);
        d.check().expect("defaults are valid");
        let from_default_config =
            ApiLimits::from_config(&crate::config::Limits::default()).expect("valid");
        assert_eq!(from_default_config, d);
        let config = crate::config::Limits {
            upload_url_ttl: Duration::from_secs(2),
            ..crate::config::Limits::default()
        };
        assert_eq!(
            ApiLimits::from_config(&config)
                .expect("valid")
                .upload_url_secs,
            2
        );
    }

    #[test]
    fn impossible_limits_are_refused_at_startup() {
        let too_long = ApiLimits {
            upload_url_secs: 901,
            ..ApiLimits::default()
        };
        assert!(too_long.check().is_err());
        let tiny_parts = ApiLimits {
            part_bytes: 1024,
            ..ApiLimits::default()
        };
        assert!(tiny_parts.check().is_err());
    }
}
