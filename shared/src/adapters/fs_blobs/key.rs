//! Object keys and the file names they map to.
//!
//! A key is split at `/` into segments; each segment is percent-encoded to a portable file
//! name (only `A-Z a-z 0-9 _ -` stay literal, so the encoded name never contains `.` or `/`),
//! then suffixed: `.d` for the directory holding deeper keys, `.o` for the object itself.
//! The suffixes let `a/b` and `a/b/c` both exist (S3 allows it; a plain file tree does not),
//! and since encoded names never start with `.`, temporary files (`.tmp-…`) cannot collide
//! with objects. Nothing of the key ever reaches the filesystem unencoded, so no key can
//! escape the root.

use std::path::PathBuf;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::error::{Error, Result};

/// S3's limit on key length, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// File names are limited to 255 bytes on common filesystems; keep room for the suffix.
const MAX_ENCODED_SEGMENT: usize = 240;

/// Everything but ASCII letters, digits, `_` and `-` is encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'_').remove(b'-');

/// Suffix of the directory that holds keys continuing below a segment.
pub const DIR_SUFFIX: &str = ".d";
/// Suffix of an object's file.
pub const OBJECT_SUFFIX: &str = ".o";

fn invalid(message: impl Into<String>) -> Error {
    Error::invalid("invalid_key", message)
}

/// Checks one segment (a part of a key between slashes) and returns its encoded file stem.
fn encode_segment(segment: &str) -> Result<String> {
    if segment.is_empty() {
        return Err(invalid("object keys may not contain empty segments"));
    }
    if segment == "." || segment == ".." {
        return Err(invalid("object keys may not contain '.' or '..' segments"));
    }
    if segment.chars().any(char::is_control) {
        return Err(invalid("object keys may not contain control characters"));
    }
    let encoded = utf8_percent_encode(segment, SEGMENT).to_string();
    if encoded.len() > MAX_ENCODED_SEGMENT {
        return Err(invalid("an object key segment is too long for this store"));
    }
    Ok(encoded)
}

/// Validates a whole key: 1 to 1024 bytes, relative, no empty, `.` or `..` segments.
pub fn validate(key: &str) -> Result<()> {
    encoded_segments(key).map(|_| ())
}

fn encoded_segments(key: &str) -> Result<Vec<String>> {
    if key.is_empty() {
        return Err(invalid("object keys may not be empty"));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(invalid("object keys are at most 1024 bytes"));
    }
    if key.starts_with('/') {
        return Err(invalid("object keys may not be absolute"));
    }
    key.split('/').map(encode_segment).collect()
}

/// The object file of `key`, relative to the objects directory.
pub fn object_path(key: &str) -> Result<PathBuf> {
    let segments = encoded_segments(key)?;
    let mut path = PathBuf::new();
    let last = segments.len() - 1;
    for (i, segment) in segments.into_iter().enumerate() {
        let suffix = if i == last { OBJECT_SUFFIX } else { DIR_SUFFIX };
        path.push(format!("{segment}{suffix}"));
    }
    Ok(path)
}

/// The directory holding every key that starts with `prefix`, relative to the objects
/// directory: the complete segments of the prefix (the part after the last `/` only filters).
pub fn prefix_dir(prefix: &str) -> Result<PathBuf> {
    if prefix.len() > MAX_KEY_BYTES {
        return Err(invalid("prefixes are at most 1024 bytes"));
    }
    if prefix.starts_with('/') {
        return Err(invalid("prefixes may not be absolute"));
    }
    let mut path = PathBuf::new();
    if let Some((dirs, _partial)) = prefix.rsplit_once('/') {
        for segment in dirs.split('/') {
            path.push(format!("{}{DIR_SUFFIX}", encode_segment(segment)?));
        }
    }
    Ok(path)
}

/// The key segment a directory entry stands for, and whether it is an object (or a directory).
/// Names that are not ours (temporary files, foreign files) give `None`.
pub fn decode_entry(file_name: &str) -> Option<(String, bool)> {
    let (stem, is_object) = if let Some(stem) = file_name.strip_suffix(OBJECT_SUFFIX) {
        (stem, true)
    } else {
        (file_name.strip_suffix(DIR_SUFFIX)?, false)
    };
    if stem.is_empty() || stem.contains('.') {
        return None;
    }
    let segment = percent_decode_str(stem).decode_utf8().ok()?.into_owned();
    Some((segment, is_object))
}

/// Percent-encodes a key for a URL path, keeping `/` as the separator.
pub fn url_path(key: &str) -> String {
    const PATH: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'_')
        .remove(b'-')
        .remove(b'.')
        .remove(b'~');
    key.split('/')
        .map(|segment| utf8_percent_encode(segment, PATH).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_keys_are_invalid_never_paths() {
        let long = "k".repeat(1025);
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "a/",
            "./a",
            "a/.",
            "a\nb",
            long.as_str(),
        ] {
            let err = object_path(bad).expect_err(bad);
            assert!(matches!(err, Error::Invalid { .. }), "{bad:?}");
        }
    }

    #[test]
    fn keys_map_to_suffixed_encoded_names() {
        assert_eq!(
            object_path("a/b c/..x").expect("valid"),
            PathBuf::from("a.d/b%20c.d/%2E%2Ex.o")
        );
        assert_eq!(
            decode_entry("%2E%2Ex.o").expect("ours"),
            ("..x".to_owned(), true)
        );
        assert_eq!(decode_entry(".tmp-123"), None);
        assert_eq!(
            prefix_dir("a/b/c").expect("valid"),
            PathBuf::from("a.d/b.d")
        );
        assert_eq!(prefix_dir("ab").expect("valid"), PathBuf::new());
        assert!(prefix_dir("../a").is_err());
    }

    #[test]
    fn url_paths_keep_slashes_and_encode_the_rest() {
        assert_eq!(url_path("a b/c?d#e.jpg"), "a%20b/c%3Fd%23e.jpg");
    }
}
