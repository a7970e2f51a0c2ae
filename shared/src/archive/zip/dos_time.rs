//! MS-DOS date and time, the only timestamp every zip reader understands.
//!
//! Two-second resolution, no time zone, years 1980–2107. We write UTC, so an archive built
//! twice from the same photos has the same bytes wherever and whenever it is built.

use time::OffsetDateTime;

use crate::domain::Timestamp;

/// A DOS `(time, date)` pair as stored in zip headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DosTime {
    /// `hour << 11 | minute << 5 | second / 2`.
    pub time: u16,
    /// `(year - 1980) << 9 | month << 5 | day`.
    pub date: u16,
}

/// 1980-01-01 00:00:00 UTC, the earliest DOS time.
const EARLIEST: i64 = 315_532_800;
/// 2107-12-31 23:59:58 UTC, the latest.
const LATEST: i64 = 4_354_819_198;

impl DosTime {
    /// The DOS form of `at` (UTC), clamped to the range DOS can hold.
    pub fn from_timestamp(at: Timestamp) -> Self {
        let secs = at.epoch_secs().clamp(EARLIEST, LATEST);
        let Ok(t) = OffsetDateTime::from_unix_timestamp(secs) else {
            return Self::earliest();
        };
        let year = u16::try_from(t.year() - 1980).unwrap_or(0);
        Self {
            time: (u16::from(t.hour()) << 11)
                | (u16::from(t.minute()) << 5)
                | u16::from(t.second() / 2),
            date: (year << 9) | (u16::from(u8::from(t.month())) << 5) | u16::from(t.day()),
        }
    }

    /// 1980-01-01 00:00:00.
    pub const fn earliest() -> Self {
        Self {
            time: 0,
            date: (1 << 5) | 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_instant_encodes_field_by_field() {
        // 2026-11-23 10:17:45 UTC.
        let t = DosTime::from_timestamp(
            Timestamp::parse_rfc3339("2026-11-23T10:17:45Z").expect("time"),
        );
        assert_eq!(t.date, ((2026 - 1980) << 9) | (11 << 5) | 23);
        assert_eq!(t.time, (10 << 11) | (17 << 5) | 22);
    }

    #[test]
    fn times_outside_dos_range_are_clamped() {
        assert_eq!(
            DosTime::from_timestamp(Timestamp::from_epoch_secs(0)),
            DosTime::earliest()
        );
        let late = DosTime::from_timestamp(Timestamp::from_epoch_secs(i64::MAX));
        assert_eq!(late.date, (127 << 9) | (12 << 5) | 31);
        assert_eq!(late.time, (23 << 11) | (59 << 5) | 29);
    }
}
