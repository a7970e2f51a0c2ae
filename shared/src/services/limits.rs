//! The photographer API's limits (API.md "Limits"): defaults, and overrides from the
//! environment so a deployment (or a test) can change them.

use crate::error::{Error, Result};

const MIB: u64 = 1024 * 1024;

/// Longest life of a presigned upload URL (DESIGN §8): 15 minutes.
pub const MAX_UPLOAD_URL_SECS: u64 = 900;

/// Media types an upload may declare. The processor re-checks the bytes.
pub const DEFAULT_ALLOWED_TYPES: &[&str] = &["image/jpeg", "image/png", "image/webp"];

/// Sizes, counts and lifetimes the photographer API enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiLimits {
    /// JSON request bodies (`PICPASS_MAX_BODY_BYTES`, default 1 MiB).
    pub max_body_bytes: usize,
    /// Files up to this size get one presigned PUT (`PICPASS_SINGLE_PUT_MAX_BYTES`, 32 MiB).
    pub single_put_max_bytes: u64,
    /// Largest file, uploaded in parts (`PICPASS_MULTIPART_MAX_BYTES`, 1 GiB).
    pub multipart_max_bytes: u64,
    /// Bytes per part (`PICPASS_PART_BYTES`, 8 MiB; S3 needs ≥ 5 MiB).
    pub part_bytes: u64,
    /// Photos per event (`PICPASS_MAX_PHOTOS_PER_EVENT`, 20,000).
    pub max_photos_per_event: u64,
    /// Files per upload call (`PICPASS_MAX_FILES_PER_CALL`, 500).
    pub max_files_per_call: usize,
    /// Life of presigned upload and part URLs (`PICPASS_UPLOAD_URL_SECS`, 900; capped at 900).
    pub upload_url_secs: u64,
    /// Life of signed thumbnail / web-copy URLs in listings (`PICPASS_VIEW_URL_SECS`, 3600).
    pub view_url_secs: u64,
    /// Declared media types accepted (`PICPASS_ALLOWED_TYPES`, comma-separated).
    pub allowed_types: Vec<String>,
}

impl Default for ApiLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            single_put_max_bytes: 32 * MIB,
            multipart_max_bytes: 1024 * MIB,
            part_bytes: 8 * MIB,
            max_photos_per_event: 20_000,
            max_files_per_call: 500,
            upload_url_secs: MAX_UPLOAD_URL_SECS,
            view_url_secs: 3_600,
            allowed_types: DEFAULT_ALLOWED_TYPES
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
        }
    }
}

impl ApiLimits {
    /// The defaults overridden by whichever `PICPASS_*` variables `var` returns. A value that
    /// does not parse, or breaks a bound, is a startup error naming the variable.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let mut limits = Self::default();
        let num = |name: &str, current: u64| -> Result<u64> {
            match var(name) {
                None => Ok(current),
                Some(text) => text.trim().parse::<u64>().map_err(|_| {
                    Error::internal_msg(format!("{name} must be a whole number, got '{text}'"))
                }),
            }
        };
        limits.max_body_bytes =
            usize::try_from(num("PICPASS_MAX_BODY_BYTES", limits.max_body_bytes as u64)?)
                .map_err(|_| Error::internal_msg("PICPASS_MAX_BODY_BYTES is too large"))?;
        limits.single_put_max_bytes =
            num("PICPASS_SINGLE_PUT_MAX_BYTES", limits.single_put_max_bytes)?;
        limits.multipart_max_bytes =
            num("PICPASS_MULTIPART_MAX_BYTES", limits.multipart_max_bytes)?;
        limits.part_bytes = num("PICPASS_PART_BYTES", limits.part_bytes)?;
        limits.max_photos_per_event =
            num("PICPASS_MAX_PHOTOS_PER_EVENT", limits.max_photos_per_event)?;
        limits.max_files_per_call = usize::try_from(num(
            "PICPASS_MAX_FILES_PER_CALL",
            limits.max_files_per_call as u64,
        )?)
        .map_err(|_| Error::internal_msg("PICPASS_MAX_FILES_PER_CALL is too large"))?;
        limits.upload_url_secs = num("PICPASS_UPLOAD_URL_SECS", limits.upload_url_secs)?;
        limits.view_url_secs = num("PICPASS_VIEW_URL_SECS", limits.view_url_secs)?;
        if let Some(types) = var("PICPASS_ALLOWED_TYPES") {
            limits.allowed_types = types
                .split(',')
                .map(|t| t.trim().to_ascii_lowercase())
                .filter(|t| !t.is_empty())
                .collect();
        }
        limits.check()?;
        Ok(limits)
    }

    /// Rejects combinations that cannot work (e.g. URLs living longer than 15 minutes).
    pub fn check(&self) -> Result<()> {
        let fail = |m: &str| Err(Error::internal_msg(m.to_owned()));
        if !(1..=MAX_UPLOAD_URL_SECS).contains(&self.upload_url_secs) {
            return fail("PICPASS_UPLOAD_URL_SECS must be 1 to 900");
        }
        if !(1..=604_800).contains(&self.view_url_secs) {
            return fail("PICPASS_VIEW_URL_SECS must be 1 to 604800");
        }
        if self.part_bytes < 5 * MIB {
            return fail("PICPASS_PART_BYTES must be at least 5 MiB (S3's minimum part)");
        }
        if self.multipart_max_bytes.div_ceil(self.part_bytes) > 10_000 {
            return fail("PICPASS_MULTIPART_MAX_BYTES needs more than S3's 10,000 parts");
        }
        if self.single_put_max_bytes > 5 * 1024 * MIB {
            return fail("PICPASS_SINGLE_PUT_MAX_BYTES exceeds S3's 5 GiB single PUT");
        }
        if self.max_files_per_call == 0 || self.allowed_types.is_empty() {
            return fail("PICPASS_MAX_FILES_PER_CALL and PICPASS_ALLOWED_TYPES must be non-empty");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_api_md_and_env_overrides_apply() {
        let d = ApiLimits::default();
        assert_eq!(d.single_put_max_bytes, 32 * MIB);
        assert_eq!(d.multipart_max_bytes, 1024 * MIB);
        assert_eq!(d.max_photos_per_event, 20_000);
        assert_eq!(d.max_files_per_call, 500);
        d.check().expect("defaults are valid");
        let l = ApiLimits::from_vars(|n| match n {
            "PICPASS_UPLOAD_URL_SECS" => Some("2".into()),
            "PICPASS_ALLOWED_TYPES" => Some("image/jpeg, IMAGE/PNG".into()),
            _ => None,
        })
        .expect("valid");
        assert_eq!(l.upload_url_secs, 2);
        assert_eq!(l.allowed_types, ["image/jpeg", "image/png"]);
    }

    #[test]
    fn bad_values_are_refused_at_startup() {
        for (name, value) in [
            ("PICPASS_UPLOAD_URL_SECS", "901"),
            ("PICPASS_UPLOAD_URL_SECS", "x"),
            ("PICPASS_PART_BYTES", "1024"),
        ] {
            let r = ApiLimits::from_vars(|n| (n == name).then(|| value.to_owned()));
            assert!(r.is_err(), "{name}={value}");
        }
    }
}
