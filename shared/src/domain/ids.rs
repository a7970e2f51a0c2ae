//! Identifiers. Server-made ids are ULIDs (they sort by creation time); user ids come
//! from the identity provider (the JWT `sub`).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

macro_rules! ulid_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(ulid::Ulid);

        impl $name {
            /// A new id, monotonic within this process and time-ordered across processes.
            pub fn generate() -> Self {
                Self(next_ulid())
            }

            /// Parses the 26-character Crockford form; anything else is a 400.
            pub fn parse(text: &str) -> Result<Self> {
                ulid::Ulid::from_string(text)
                    .map(Self)
                    .map_err(|_| Error::malformed(concat!("invalid_", $what), format!("'{}' is not a valid {} id", text.chars().take(40).collect::<String>(), $what)))
            }

            /// The id's 16 bytes (big-endian, so byte order is id order).
            pub fn to_bytes(self) -> [u8; 16] {
                self.0.to_bytes()
            }

            /// The id whose [`to_bytes`](Self::to_bytes) are `bytes`.
            pub fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(ulid::Ulid::from_bytes(bytes))
            }

            /// The id with exactly these 128 bits, for ids derived from a digest (an archive's
            /// id comes from its request, so asking twice names the same archive).
            pub const fn from_u128(bits: u128) -> Self {
                Self(ulid::Ulid(bits))
            }

            /// Milliseconds since the epoch at which the id was made.
            pub fn timestamp_ms(self) -> u64 {
                self.0.timestamp_ms()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                Self::parse(s)
            }
        }
    };
}

/// The next id from one process-wide generator: `ulid::Ulid::generate` alone is random within
/// a millisecond, so a batch of photos registered at once would not list in upload order.
fn next_ulid() -> ulid::Ulid {
    static GENERATOR: std::sync::Mutex<ulid::Generator> =
        std::sync::Mutex::new(ulid::Generator::new());
    let mut generator = GENERATOR
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // Overflow needs 2^80 ids in one millisecond; a random id then is still unique.
    generator
        .generate()
        .unwrap_or_else(|_| ulid::Ulid::generate())
}

ulid_id!(/// An event.
    EventId, "event");
ulid_id!(/// A photo (sorts by upload time within its event).
    PhotoId, "photo");
ulid_id!(/// An archive or derivative job.
    JobId, "job");

/// A photographer, as the identity provider names them (JWT `sub`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    /// Accepts what identity providers issue (Cognito: a UUID): 1–128 of `A-Z a-z 0-9 - _ . :`.
    /// No `/`, so a user id is always a single object-key segment.
    pub fn parse(text: &str) -> Result<Self> {
        let ok = !text.is_empty()
            && text.len() <= 128
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
            && text != "."
            && text != "..";
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(Error::unauthorized(
                "invalid_subject",
                "the token's subject is not a valid user id",
            ))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_garbage_is_malformed() {
        let id = PhotoId::generate();
        assert_eq!(PhotoId::parse(&id.to_string()).expect("round trip"), id);
        let err = PhotoId::parse("../../etc/passwd").expect_err("garbage");
        assert_eq!(err.http_status(), 400);
        assert_eq!(err.code(), "invalid_photo");
    }

    #[test]
    fn ids_round_trip_through_their_bytes_in_the_same_order() {
        let a = PhotoId::generate();
        let b = PhotoId::generate();
        assert_eq!(PhotoId::from_bytes(a.to_bytes()), a);
        assert_eq!(a.cmp(&b), a.to_bytes().cmp(&b.to_bytes()));
    }

    #[test]
    fn later_ids_sort_after_earlier_ones() {
        let a = EventId::generate();
        // ULIDs order by millisecond; within one millisecond the random part decides.
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = EventId::generate();
        assert!(a < b);
    }
}
