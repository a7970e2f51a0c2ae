//! Access codes: what a viewer types to see the photos granted to them.
//!
//! 12 symbols of Crockford's base32 (no I, L, O, U) = 60 bits from the OS RNG, shown in
//! groups of four (`7KQ2-M9XD-4PZA`). Input is compared case-insensitively, ignoring spaces
//! and dashes, and with the letters people confuse for digits (O→0, I/L→1) folded.

use serde::{Deserialize, Serialize};

use super::ids::{EventId, PhotoId};
use super::time::Timestamp;
use crate::error::{Error, Result};

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Symbols in a code.
pub const CODE_SYMBOLS: usize = 12;
/// Bits of entropy in a code (`CODE_SYMBOLS` × 5).
pub const CODE_BITS: usize = CODE_SYMBOLS * 5;
const _: () = assert!(CODE_BITS >= 60, "codes need at least 60 bits");

/// A code in canonical form: 12 uppercase symbols, no separators.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CodeText(String);

impl std::fmt::Debug for CodeText {
    // Codes are secrets: keep them out of logs and panics.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeText(****)")
    }
}

impl CodeText {
    /// A fresh random code from the operating system's RNG.
    pub fn generate() -> Result<Self> {
        let mut raw = [0u8; CODE_SYMBOLS];
        getrandom::fill(&mut raw)
            .map_err(|e| Error::internal_msg(format!("OS random number generator failed: {e}")))?;
        // 256 is a multiple of 32, so taking the low 5 bits is unbiased.
        Ok(Self(
            raw.iter()
                .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
                .collect(),
        ))
    }

    /// Normalises what a viewer typed. Anything that cannot be a code is `Invalid`.
    pub fn parse(typed: &str) -> Result<Self> {
        let mut out = String::with_capacity(CODE_SYMBOLS);
        for ch in typed.chars() {
            let folded = match ch.to_ascii_uppercase() {
                ' ' | '-' | '\t' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
                _ => return Err(Self::not_a_code()),
            };
            if out.len() == CODE_SYMBOLS {
                return Err(Self::not_a_code());
            }
            out.push(folded);
        }
        if out.len() == CODE_SYMBOLS {
            Ok(Self(out))
        } else {
            Err(Self::not_a_code())
        }
    }

    fn not_a_code() -> Error {
        Error::invalid("invalid_code", "that is not an access code")
    }

    /// The canonical 12 symbols (for hashing and sealing).
    pub fn canonical(&self) -> &str {
        &self.0
    }

    /// The grouped form shown to people: `XXXX-XXXX-XXXX`.
    pub fn display_grouped(&self) -> String {
        let b = self.0.as_bytes();
        b.chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }
}

/// Most photos one code may grant. A DynamoDB item holds at most 400 KB, and the adapter
/// stores a grant's ids packed as 16 bytes each: 20,000 of them (320,000 bytes) fit one
/// access-code row with room for the rest of it. An event holds at most 20,000 photos by
/// default (`PICPASS_MAX_PHOTOS_PER_EVENT`), so every subset of such an event can be granted.
pub const MAX_GRANT_PHOTOS: usize = 20_000;

/// Which photos of an event a code grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "photo_ids")]
pub enum Grant {
    /// Every photo of the event, including those uploaded later.
    All,
    /// Exactly these photos (made by [`Grant::photos`]).
    Photos(GrantedPhotos),
}

impl Grant {
    /// A grant of exactly `ids` (sorted, duplicates dropped). More than [`MAX_GRANT_PHOTOS`]
    /// distinct photos is `TooLarge` (`grant_too_large`).
    pub fn photos(ids: Vec<PhotoId>) -> Result<Self> {
        let set = GrantedPhotos::from(ids);
        if set.len() > MAX_GRANT_PHOTOS {
            return Err(Error::too_large(
                "grant_too_large",
                format!("a code can grant at most {MAX_GRANT_PHOTOS} photos"),
            ));
        }
        Ok(Self::Photos(set))
    }

    /// Whether the grant covers `photo_id`.
    pub fn covers(&self, photo_id: PhotoId) -> bool {
        match self {
            Self::All => true,
            Self::Photos(ids) => ids.contains(photo_id),
        }
    }
}

/// The photos of a [`Grant::Photos`]: sorted and without duplicates, so a lookup is a binary
/// search. Rows stored before grants were sorted read back sorted too (deserialising sorts),
/// so [`Grant::covers`] holds for them as well.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "Vec<PhotoId>")]
pub struct GrantedPhotos(Vec<PhotoId>);

impl GrantedPhotos {
    /// Whether `photo_id` is one of them.
    pub fn contains(&self, photo_id: PhotoId) -> bool {
        self.0.binary_search(&photo_id).is_ok()
    }

    /// The ids, in ascending order.
    pub fn as_slice(&self) -> &[PhotoId] {
        &self.0
    }

    /// The ids, in ascending order.
    pub fn into_vec(self) -> Vec<PhotoId> {
        self.0
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none (a stored grant always names at least one).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<PhotoId>> for GrantedPhotos {
    /// Sorts and drops duplicates; no size limit, so any stored row reads back (new grants
    /// are bounded by [`Grant::photos`]).
    fn from(mut ids: Vec<PhotoId>) -> Self {
        ids.sort_unstable();
        ids.dedup();
        Self(ids)
    }
}

impl Serialize for GrantedPhotos {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// An access code row. The code itself is stored only as `code_key` (a keyed hash used to
/// look it up) and `sealed_code` (encrypted, so the photographer can see it again); the
/// catalog never holds it in plain text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessCode {
    /// The event the code opens.
    pub event_id: EventId,
    /// Lookup key: hex of a keyed hash of the canonical code.
    pub code_key: String,
    /// The code, encrypted with the server's key.
    pub sealed_code: String,
    /// The photographer's label ("Bride's family").
    pub label: String,
    /// What it opens.
    pub grant: Grant,
    /// When it was made.
    pub created_at: Timestamp,
    /// The code's own expiry, if earlier than the event's.
    pub valid_until: Option<Timestamp>,
    /// When it was revoked; revoked codes stay listed.
    pub revoked_at: Option<Timestamp>,
    /// The event's expiry: the row is gone after it (TTL attribute).
    pub expires_at: Timestamp,
    /// Optimistic-concurrency version, bumped by every update.
    pub version: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_are_12_symbols_and_parse_back() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let code = CodeText::generate().expect("rng");
            assert_eq!(code.canonical().len(), CODE_SYMBOLS);
            assert_eq!(
                CodeText::parse(&code.display_grouped()).expect("parse"),
                code
            );
            assert!(
                seen.insert(code.canonical().to_owned()),
                "duplicate in 1000 draws"
            );
        }
    }

    #[test]
    fn input_is_case_space_and_dash_insensitive_and_folds_lookalikes() {
        let code = CodeText::parse("7KQ2-M9XD-4PZ0").expect("valid");
        for typed in ["7kq2 m9xd 4pz0", "7KQ2M9XD4PZO", " 7kq2-m9xd-4pzo "] {
            assert_eq!(CodeText::parse(typed).expect("valid"), code, "{typed}");
        }
        assert_eq!(
            CodeText::parse("1111-1111-1111").expect("valid"),
            CodeText::parse("ilIL-1111-1111").expect("valid")
        );
    }

    #[test]
    fn non_codes_are_invalid() {
        for bad in [
            "",
            "7KQ2-M9XD",
            "7KQ2-M9XD-4PZ0-X",
            "7KQ2-M9XD-4PZU",
            "7KQ2-M9XD-4PZ€",
            "'; drop table",
        ] {
            assert_eq!(
                CodeText::parse(bad).expect_err(bad).http_status(),
                422,
                "{bad}"
            );
        }
    }

    #[test]
    fn codes_do_not_leak_through_debug() {
        let code = CodeText::generate().expect("rng");
        assert!(!format!("{code:?}").contains(code.canonical()));
    }

    #[test]
    fn a_grant_of_photos_is_sorted_without_duplicates_and_covers_exactly_them() {
        let ids: Vec<PhotoId> = (0..50).map(|_| PhotoId::generate()).collect();
        let mut given: Vec<PhotoId> = ids.iter().rev().copied().collect();
        given.extend_from_slice(&ids[..10]);
        let grant = Grant::photos(given).expect("within the limit");
        let Grant::Photos(granted) = &grant else {
            panic!("a photo grant, got {grant:?}");
        };
        assert_eq!(granted.as_slice(), ids.as_slice());
        assert!(ids.iter().all(|id| grant.covers(*id)));
        assert!(!grant.covers(PhotoId::generate()));
        assert!(Grant::All.covers(PhotoId::generate()));
    }

    #[test]
    fn a_grant_of_up_to_the_limit_is_made_and_one_more_is_too_large() {
        let ids: Vec<PhotoId> = (0..=MAX_GRANT_PHOTOS)
            .map(|_| PhotoId::generate())
            .collect();
        let at_limit = Grant::photos(ids[..MAX_GRANT_PHOTOS].to_vec()).expect("the limit");
        assert!(at_limit.covers(ids[MAX_GRANT_PHOTOS - 1]));
        // Duplicates do not count against the limit.
        let mut with_duplicate = ids[..MAX_GRANT_PHOTOS].to_vec();
        with_duplicate.push(ids[0]);
        Grant::photos(with_duplicate).expect("duplicates are dropped before counting");
        let err = Grant::photos(ids).expect_err("one over the limit");
        assert_eq!(err.http_status(), 413);
        assert_eq!(err.code(), "grant_too_large");
    }

    #[test]
    fn a_stored_grant_in_any_order_reads_back_sorted() {
        let ids: Vec<PhotoId> = (0..5).map(|_| PhotoId::generate()).collect();
        // As rows were written before grants were sorted: in the photographer's order.
        let stored = serde_json::json!({
            "kind": "photos",
            "photo_ids": [ids[3], ids[0], ids[4], ids[0], ids[1], ids[2]],
        });
        let grant: Grant = serde_json::from_value(stored).expect("an old row reads");
        assert_eq!(grant, Grant::photos(ids.clone()).expect("grant"));
        assert!(ids.iter().all(|id| grant.covers(*id)));
        let written = serde_json::to_value(&grant).expect("serialise");
        assert_eq!(
            written["photo_ids"],
            serde_json::json!(ids),
            "written as a plain list"
        );
    }
}
