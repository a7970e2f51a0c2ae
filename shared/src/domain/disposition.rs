//! `Content-Disposition` for downloads, built from a name a photographer's device chose:
//! RFC 6266 with an RFC 5987 `filename*` for the real name, so quotes, `;`, CR/LF, NUL,
//! slashes and non-ASCII can inject neither a header nor a path.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// RFC 5987 `attr-char`s (kept as they are in `filename*`); everything else is encoded.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// Longest name kept, in characters (file systems stop at 255 bytes).
const MAX_NAME_CHARS: usize = 200;

/// `attachment; filename="…"; filename*=UTF-8''…` for `name`: the quoted form is an ASCII
/// fallback with every unsafe character replaced by `_`; the encoded form keeps the name
/// (its last path segment, without control characters) for clients that read it.
pub fn attachment(name: &str) -> String {
    let name = safe_name(name);
    let fallback: String = name
        .chars()
        .map(|c| match c {
            ' '..='~' if !matches!(c, '"' | '\\' | ';' | '%') => c,
            _ => '_',
        })
        .collect();
    format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        utf8_percent_encode(&name, ATTR_CHAR)
    )
}

/// The name without directories, control characters or surrounding dots and spaces, never
/// empty, at most [`MAX_NAME_CHARS`] long.
fn safe_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect();
    let trimmed = cleaned.trim_matches(|c: char| c == '.' || c.is_whitespace());
    match trimmed.is_empty() {
        true => "photo".to_owned(),
        false => trimmed.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_are_kept_in_both_forms() {
        assert_eq!(
            attachment("IMG_0001.JPG"),
            "attachment; filename=\"IMG_0001.JPG\"; filename*=UTF-8''IMG_0001.JPG"
        );
    }

    #[test]
    fn hostile_names_inject_neither_a_header_nor_a_path() {
        for hostile in [
            "a\"; filename=evil.exe",
            "line\r\nSet-Cookie: x=1",
            "nul\0byte.jpg",
            "../../etc/passwd",
            "..\\..\\boot.ini",
            "x;y.jpg",
            "%22quoted%22.jpg",
            "..",
            "",
        ] {
            let header = attachment(hostile);
            assert!(
                !header.contains(['\r', '\n', '\0']),
                "{hostile:?}: {header}"
            );
            // Exactly the two quotes of the fallback, and two `;` separators.
            assert_eq!(header.matches('"').count(), 2, "{hostile:?}: {header}");
            assert_eq!(header.matches(';').count(), 2, "{hostile:?}: {header}");
            assert!(!header.contains('/') && !header.contains('\\'), "{header}");
            assert!(
                lambda_http::http::HeaderValue::from_str(&header).is_ok(),
                "{header}"
            );
        }
    }

    #[test]
    fn non_ascii_names_travel_in_filename_star() {
        let header = attachment("Hochzeit – Café ☕.jpg");
        assert!(
            header.starts_with("attachment; filename=\"Hochzeit _ Caf_ _.jpg\""),
            "{header}"
        );
        assert!(
            header.ends_with("filename*=UTF-8''Hochzeit%20%E2%80%93%20Caf%C3%A9%20%E2%98%95.jpg"),
            "{header}"
        );
    }
}
