//! Time as the catalog stores it (epoch seconds) and as the API shows it (RFC 3339 UTC).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{Error, Result};

/// A point in time with one-second resolution, stored as seconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Self(i64::try_from(secs).unwrap_or(i64::MAX))
    }

    /// From seconds since the epoch.
    pub const fn from_epoch_secs(secs: i64) -> Self {
        Self(secs)
    }

    /// Seconds since the epoch.
    pub const fn epoch_secs(self) -> i64 {
        self.0
    }

    /// This instant plus `secs` seconds (saturating).
    pub const fn plus_secs(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs))
    }

    /// True when `self` is at or before `now`: expiry is inclusive of its own second.
    pub fn has_passed(self, now: Timestamp) -> bool {
        self.0 <= now.0
    }

    /// Parses RFC 3339 (any offset; normalised to UTC).
    pub fn parse_rfc3339(text: &str) -> Result<Self> {
        OffsetDateTime::parse(text, &Rfc3339)
            .map(|t| Self(t.unix_timestamp()))
            .map_err(|_| {
                Error::invalid("invalid_time", format!("'{text}' is not an RFC 3339 time"))
            })
    }

    /// Formats as RFC 3339 UTC, e.g. `2026-11-23T10:00:00Z`.
    pub fn to_rfc3339(self) -> String {
        OffsetDateTime::from_unix_timestamp(self.0)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_else(|| self.0.to_string())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// In JSON a timestamp is an RFC 3339 string.
impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_in_utc() {
        let t = Timestamp::parse_rfc3339("2026-11-23T11:00:00+01:00").expect("valid");
        assert_eq!(t.to_rfc3339(), "2026-11-23T10:00:00Z");
        assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()).expect("valid"), t);
    }

    #[test]
    fn garbage_time_is_invalid_not_a_panic() {
        let err = Timestamp::parse_rfc3339("yesterday").expect_err("must fail");
        assert_eq!(err.http_status(), 422);
    }
}
