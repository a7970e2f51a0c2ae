//! The name a browser saves a download under: a `Content-Disposition: attachment` header
//! built so that no file name can add a parameter or a header (RFC 6266, RFC 8187/5987).
//!
//! The name is cleaned first (control characters including CR, LF and NUL dropped; `/` and
//! `\` replaced; bounded length), then written twice: an ASCII fallback in `filename="…"`
//! with `"`, `\`, `%` and `;` replaced, and the exact UTF-8 name percent-encoded in
//! `filename*=UTF-8''…`, which current browsers prefer.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Longest name (bytes of UTF-8) put in the header.
pub const MAX_DOWNLOAD_NAME_BYTES: usize = 150;

/// Longest extension kept when a long name is shortened.
const MAX_EXTENSION_BYTES: usize = 16;

/// RFC 8187 `attr-char`: everything else is percent-encoded.
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

/// `attachment; filename="…"; filename*=UTF-8''…` for `filename`; `fallback` is used when
/// nothing of `filename` survives cleaning.
pub fn attachment(filename: &str, fallback: &str) -> String {
    let mut name = clean(filename);
    if name.is_empty() {
        name = clean(fallback);
    }
    if name.is_empty() {
        name = "download".to_owned();
    }
    let ascii: String = name
        .chars()
        .map(|c| match c {
            '"' | '\\' | '%' | ';' => '_',
            c if c == ' ' || c.is_ascii_graphic() => c,
            _ => '_',
        })
        .collect();
    let encoded = utf8_percent_encode(&name, ATTR_CHAR);
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Drops control and direction-override characters, replaces path separators, trims, and
/// shortens to [`MAX_DOWNLOAD_NAME_BYTES`].
fn clean(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| {
            !c.is_control()
                && !matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}' | '\u{FEFF}')
        })
        .map(|c| if matches!(c, '/' | '\\') { '_' } else { c })
        .collect();
    shorten_keeping_extension(cleaned.trim(), MAX_DOWNLOAD_NAME_BYTES)
}

/// `(stem, extension with its dot)`; a leading dot does not start an extension.
pub fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 => name.split_at(i),
        _ => (name, ""),
    }
}

/// At most `limit` bytes, cut at a character boundary, keeping a short extension.
pub fn shorten_keeping_extension(name: &str, limit: usize) -> String {
    if name.len() <= limit {
        return name.to_owned();
    }
    let (stem, extension) = split_extension(name);
    let extension = if extension.len() <= MAX_EXTENSION_BYTES && extension.len() < limit {
        extension
    } else {
        ""
    };
    let stem = if extension.is_empty() { name } else { stem };
    let mut end = limit.saturating_sub(extension.len()).min(stem.len());
    while !stem.is_char_boundary(end) {
        end -= 1;
    }
    let stem = stem.get(..end).unwrap_or_default().trim_end();
    format!("{stem}{extension}")
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let header = attachment(hostile, "photo");
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
    fn a_plain_name_is_quoted_and_encoded() {
        assert_eq!(
            attachment("Wedding 2026.zip", "x"),
            "attachment; filename=\"Wedding 2026.zip\"; filename*=UTF-8''Wedding%202026.zip"
        );
    }

    #[test]
    fn quotes_semicolons_and_line_breaks_cannot_add_parameters_or_headers() {
        let header = attachment("a\"; filename=evil.exe\r\nSet-Cookie: x=1\0.zip", "x");
        assert_eq!(
            header,
            "attachment; filename=\"a__ filename=evil.exeSet-Cookie: x=1.zip\"; \
             filename*=UTF-8''a%22%3B%20filename%3Devil.exeSet-Cookie%3A%20x%3D1.zip"
        );
        assert!(!header.contains(['\r', '\n', '\0']));
        // One parameter each: the fallback's quotes are balanced and nothing else is quoted.
        assert_eq!(header.matches('"').count(), 2);
        assert_eq!(header.matches(';').count(), 2);
    }

    #[test]
    fn non_ascii_names_get_an_ascii_fallback_and_the_exact_name_encoded() {
        assert_eq!(
            attachment("Hochzeit Müller/Ünal\\.zip", "x"),
            "attachment; filename=\"Hochzeit M_ller__nal_.zip\"; \
             filename*=UTF-8''Hochzeit%20M%C3%BCller_%C3%9Cnal_.zip"
        );
        assert!(attachment("100% \u{202E}fun.zip", "x").contains("filename=\"100_ fun.zip\""));
    }

    #[test]
    fn empty_names_use_the_fallback_and_long_ones_keep_their_extension() {
        assert!(attachment("\r\n  ", "photos.zip").contains("filename=\"photos.zip\""));
        assert!(attachment("", "").contains("filename=\"download\""));
        let long = format!("{}.zip", "ü".repeat(200));
        let header = attachment(&long, "x");
        let fallback = header.split('"').nth(1).expect("quoted name");
        assert!(fallback.ends_with("_.zip"), "{fallback}");
        assert!(fallback.len() <= MAX_DOWNLOAD_NAME_BYTES);
    }
}
