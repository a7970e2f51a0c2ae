//! Format detection from the magic bytes: the declared type and the file name are never trusted.

use serde::{Deserialize, Serialize};

use super::codes;
use crate::error::{Error, Result};

/// A format the pipeline decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    /// JPEG (baseline, progressive, lossless, arithmetic: whatever libjpeg-turbo reads).
    Jpeg,
    /// PNG.
    Png,
    /// WebP (lossy or lossless).
    Webp,
}

impl SourceFormat {
    /// The name recorded in `meta.json` (`jpeg`, `png`, `webp`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jpeg => "jpeg",
            Self::Png => "png",
            Self::Webp => "webp",
        }
    }
}

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Detects the format, or refuses with `not_an_image` / `unsupported_format` and a reason.
pub fn sniff(bytes: &[u8]) -> Result<SourceFormat> {
    if bytes.is_empty() {
        return Err(not_an_image("the file is empty"));
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(SourceFormat::Jpeg);
    }
    if bytes.starts_with(PNG_MAGIC) {
        return Ok(SourceFormat::Png);
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Ok(SourceFormat::Webp);
    }
    if let Some(name) = known_unsupported(bytes) {
        return Err(Error::unsupported(
            codes::UNSUPPORTED_FORMAT,
            format!("{name} images are not accepted; upload JPEG, PNG or WebP"),
        ));
    }
    if looks_like_markup(bytes) {
        return Err(not_an_image(
            "the file is markup (HTML or XML), not an image",
        ));
    }
    Err(not_an_image(
        "the file is not a JPEG, PNG or WebP image (unknown signature)",
    ))
}

fn not_an_image(message: &str) -> Error {
    Error::unsupported(codes::NOT_AN_IMAGE, message)
}

/// Image formats people do upload, named so the refusal says what to convert from.
fn known_unsupported(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Some("GIF");
    }
    if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        return Some("TIFF (and TIFF-based camera RAW)");
    }
    if bytes.starts_with(b"BM") && bytes.len() >= 14 {
        return Some("BMP");
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return match &bytes[8..12] {
            b"avif" | b"avis" => Some("AVIF"),
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1" => {
                Some("HEIC/HEIF")
            }
            _ => None,
        };
    }
    if bytes.starts_with(&[0x00, 0x00, 0x00, 0x0C, b'j', b'P', b' ', b' ']) {
        return Some("JPEG 2000");
    }
    if bytes.starts_with(&[0xFF, 0x0A]) {
        return Some("JPEG XL");
    }
    if is_svg(bytes) {
        return Some("SVG");
    }
    None
}

/// The first 1 KiB, without a BOM and leading whitespace, lowercased.
fn text_head(bytes: &[u8]) -> Vec<u8> {
    let head = &bytes[..bytes.len().min(1024)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    head[start..].to_ascii_lowercase()
}

fn is_svg(bytes: &[u8]) -> bool {
    let head = text_head(bytes);
    head.starts_with(b"<svg")
        || ((head.starts_with(b"<?xml") || head.starts_with(b"<!doctype svg"))
            && head.windows(4).any(|w| w == b"<svg"))
}

fn looks_like_markup(bytes: &[u8]) -> bool {
    text_head(bytes).starts_with(b"<")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(bytes: &[u8]) -> String {
        sniff(bytes).expect_err("refused").code().to_string()
    }

    #[test]
    fn jpeg_png_and_webp_are_recognised_by_magic() {
        assert_eq!(
            sniff(b"\xFF\xD8\xFF\xE0rest").expect("jpeg"),
            SourceFormat::Jpeg
        );
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\nrest").expect("png"),
            SourceFormat::Png
        );
        assert_eq!(
            sniff(b"RIFF\0\0\0\0WEBPVP8 ").expect("webp"),
            SourceFormat::Webp
        );
    }

    #[test]
    fn empty_html_and_garbage_are_not_images() {
        assert_eq!(code(b""), codes::NOT_AN_IMAGE);
        assert_eq!(code(b"<!DOCTYPE html><html>"), codes::NOT_AN_IMAGE);
        assert_eq!(code(b"hello"), codes::NOT_AN_IMAGE);
    }

    #[test]
    fn other_image_formats_are_unsupported_and_named() {
        for (bytes, name) in [
            (&b"GIF89a\x01\x00"[..], "GIF"),
            (b"II*\0\x08\0\0\0", "TIFF"),
            (b"MM\0*\0\0\0\x08", "TIFF"),
            (b"\0\0\0\x18ftypheic\0\0\0\0", "HEIC"),
            (b"<?xml version=\"1.0\"?>\n<svg xmlns=\"\">", "SVG"),
            (b"  <svg width=\"10\">", "SVG"),
        ] {
            let err = sniff(bytes).expect_err("refused");
            assert_eq!(err.code(), codes::UNSUPPORTED_FORMAT);
            assert!(err.to_string().contains(name), "{err} should name {name}");
        }
    }
}
