//! Validation of the names people type. Every rule returns a 422 `Invalid` naming the field.

use crate::error::{Error, Result};

/// Shortest and longest event lifetime, in seconds (1 hour to 365 days).
pub const TTL_BOUNDS_SECS: std::ops::RangeInclusive<i64> = 3_600..=365 * 86_400;

/// Usernames that would collide with routes or confuse people.
const RESERVED_USERNAMES: &[&str] = &[
    "admin", "api", "app", "e", "g", "help", "login", "picpass", "root", "signup", "static",
    "support", "www",
];

/// An event name: 1–120 characters after trimming, no control characters.
pub fn event_name(name: &str) -> Result<String> {
    let trimmed = name.trim();
    let len = trimmed.chars().count();
    if len == 0 || len > 120 {
        return Err(Error::invalid(
            "invalid_name",
            "name must be 1 to 120 characters",
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(Error::invalid(
            "invalid_name",
            "name must not contain control characters",
        ));
    }
    Ok(trimmed.to_owned())
}

/// A slug: 1–64 of `a-z 0-9 -`, not starting or ending with `-`, no `--`.
pub fn slug(slug: &str) -> Result<String> {
    let ok = (1..=64).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--");
    if ok {
        Ok(slug.to_owned())
    } else {
        Err(Error::invalid(
            "invalid_slug",
            "slug must be 1 to 64 of a-z, 0-9 and single dashes, not at either end",
        ))
    }
}

/// Derives a slug from a free-form name: ASCII-folds common letters, lowercases, and joins
/// words with single dashes. Falls back to `event` when nothing usable remains.
pub fn slug_from_name(name: &str) -> String {
    let mut out = String::new();
    let mut pending_dash = false;
    for ch in name.chars().flat_map(fold_to_ascii) {
        if ch.is_ascii_alphanumeric() {
            let dash = pending_dash && !out.is_empty();
            if out.len() + usize::from(dash) + 1 > 64 {
                break;
            }
            if dash {
                out.push('-');
            }
            pending_dash = false;
            out.push(ch.to_ascii_lowercase());
        } else {
            pending_dash = true;
        }
    }
    let out = out.trim_end_matches('-').to_owned();
    if out.is_empty() {
        "event".to_owned()
    } else {
        out
    }
}

/// Maps the Latin letters with diacritics people commonly use to their base letters.
fn fold_to_ascii(ch: char) -> Vec<char> {
    let base = match ch {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
        'ç' | 'Ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ñ' | 'Ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        'ý' | 'ÿ' | 'Ý' => 'y',
        'ß' => return vec!['s', 's'],
        'æ' | 'Æ' => return vec!['a', 'e'],
        other => other,
    };
    vec![base]
}

/// A username: 3–32 of `a-z 0-9 _ -`, starting with a letter, not reserved.
/// Input is lowercased, so usernames are case-insensitive.
pub fn username(name: &str) -> Result<String> {
    let lower = name.trim().to_ascii_lowercase();
    let ok = (3..=32).contains(&lower.len())
        && lower.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
        && lower
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !ok {
        return Err(Error::invalid(
            "invalid_username",
            "username must be 3 to 32 of a-z, 0-9, _ and -, starting with a letter",
        ));
    }
    if RESERVED_USERNAMES.contains(&lower.as_str()) {
        return Err(Error::invalid(
            "reserved_username",
            format!("'{lower}' is reserved"),
        ));
    }
    Ok(lower)
}

/// An e-mail address, normalised to lowercase (addresses are unique case-insensitively).
pub fn email(address: &str) -> Result<String> {
    let lower = address.trim().to_lowercase();
    let valid = lower.len() <= 254
        && lower.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        })
        && !lower.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(lower)
    } else {
        Err(Error::invalid(
            "invalid_email",
            "email is not a valid address",
        ))
    }
}

/// An event lifetime in seconds, within [`TTL_BOUNDS_SECS`].
pub fn ttl_seconds(ttl: i64) -> Result<i64> {
    if TTL_BOUNDS_SECS.contains(&ttl) {
        Ok(ttl)
    } else {
        Err(Error::invalid(
            "invalid_ttl",
            "ttl_seconds must be between 3600 (1 hour) and 31536000 (365 days)",
        ))
    }
}

/// An uploaded file's original name: 1–255 bytes, no control characters, no path separators.
/// It is only ever stored and echoed in `Content-Disposition`, never used as a key.
pub fn file_name(name: &str) -> Result<String> {
    let ok = !name.trim().is_empty()
        && name.len() <= 255
        && !name
            .chars()
            .any(|c| c.is_control() || c == '/' || c == '\\')
        && name != "."
        && name != "..";
    if ok {
        Ok(name.to_owned())
    } else {
        Err(Error::invalid(
            "invalid_file_name",
            "file name must be 1 to 255 bytes without control characters or slashes",
        ))
    }
}

/// A lowercase hex SHA-256 digest, returned as raw bytes.
pub fn sha256_hex(hex_digest: &str) -> Result<[u8; 32]> {
    let mut out = [0u8; 32];
    let lower = hex_digest.len() == 64
        && hex_digest
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if lower && hex::decode_to_slice(hex_digest, &mut out).is_ok() {
        Ok(out)
    } else {
        Err(Error::invalid(
            "invalid_sha256",
            "sha256 must be 64 lowercase hex characters",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_derived_from_names() {
        assert_eq!(
            slug_from_name("Anna & Ben's Wedding — Café"),
            "anna-ben-s-wedding-cafe"
        );
        assert_eq!(slug_from_name("  ***  "), "event");
        assert_eq!(slug_from_name("Straße 2026"), "strasse-2026");
        assert!(slug(&slug_from_name(&"x y ".repeat(100))).is_ok());
    }

    #[test]
    fn slug_rules() {
        assert!(slug("summer-2026").is_ok());
        for bad in ["", "-a", "a-", "a--b", "A", "a b", "a/b", &"a".repeat(65)] {
            assert!(slug(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn username_rules() {
        assert_eq!(username("Anna_Photo").expect("valid"), "anna_photo");
        for bad in ["ab", "1abc", "an na", "admin", "a/b", &"a".repeat(33)] {
            assert!(username(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn ttl_bounds_are_inclusive() {
        assert!(ttl_seconds(3_600).is_ok());
        assert!(ttl_seconds(365 * 86_400).is_ok());
        assert!(ttl_seconds(3_599).is_err());
        assert!(ttl_seconds(365 * 86_400 + 1).is_err());
    }

    #[test]
    fn file_names_never_carry_paths() {
        assert!(file_name("IMG_0001.JPG").is_ok());
        assert!(file_name("été 2026 (1).jpg").is_ok());
        for bad in ["", "  ", "../x.jpg", "a\\b.jpg", "a\u{0}b", ".."] {
            assert!(file_name(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn emails_and_digests() {
        assert_eq!(
            email(" Anna@Example.COM ").expect("valid"),
            "anna@example.com"
        );
        assert!(email("anna@localhost").is_err());
        assert!(sha256_hex(&"ab".repeat(32)).is_ok());
        assert!(sha256_hex(&"AB".repeat(32)).is_err());
        assert!(sha256_hex("abc").is_err());
    }
}
