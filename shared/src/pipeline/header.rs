//! Header reading and the limits checked on it, before a single pixel is decoded.
//!
//! A JPEG is walked marker by marker (no decoder involved): that finds the frame size, the
//! EXIF and ICC segments, counts the scans (a progressive file with thousands of scans is a
//! decoding-time bomb) and notices truncation, all in one linear pass over the bytes.

use std::io::Cursor;

use image::ImageDecoder;

use super::codes;
use super::sniff::SourceFormat;
use crate::error::{Error, Result};

/// Refusal thresholds. The defaults suit event photography (a 61 MP Sony A7R V file passes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most pixels (width × height) accepted.
    pub max_pixels: u64,
    /// Longest side accepted, in pixels.
    pub max_side: u32,
    /// Most bytes accepted.
    pub max_bytes: u64,
    /// Most JPEG scans accepted (encoders write at most a dozen or so).
    pub max_scans: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_pixels: 100_000_000,
            max_side: 20_000,
            max_bytes: crate::domain::MAX_ORIGINAL_BYTES,
            max_scans: 100,
        }
    }
}

impl Limits {
    /// Refuses a size past the limits, naming both.
    pub fn check_dimensions(&self, width: u32, height: u32) -> Result<()> {
        if width == 0 || height == 0 {
            return Err(corrupt(format!(
                "the image claims a size of {width} × {height}"
            )));
        }
        let pixels = u64::from(width) * u64::from(height);
        if pixels > self.max_pixels {
            return Err(Error::too_large(
                codes::TOO_MANY_PIXELS,
                format!(
                    "{width} × {height} is {:.1} megapixels; the limit is {:.1}",
                    pixels as f64 / 1e6,
                    self.max_pixels as f64 / 1e6
                ),
            ));
        }
        if width.max(height) > self.max_side {
            return Err(Error::too_large(
                codes::TOO_MANY_PIXELS,
                format!(
                    "{width} × {height} has a side longer than {} pixels",
                    self.max_side
                ),
            ));
        }
        Ok(())
    }

    /// Refuses a file past the byte limit.
    pub fn check_bytes(&self, len: usize) -> Result<()> {
        if len as u64 > self.max_bytes {
            return Err(Error::too_large(
                codes::TOO_LARGE,
                format!("the file has {len} bytes; the limit is {}", self.max_bytes),
            ));
        }
        Ok(())
    }
}

/// What the header says, before decoding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceInfo {
    /// Stored width (before orientation).
    pub width: u32,
    /// Stored height (before orientation).
    pub height: u32,
    /// The raw TIFF structure of the EXIF block, when present.
    pub exif: Option<Vec<u8>>,
    /// The embedded ICC colour profile, when present.
    pub icc: Option<Vec<u8>>,
    /// JPEG only: progressive (decoding keeps every coefficient in memory).
    pub progressive: bool,
    /// JPEG only: the number of scans.
    pub scans: u32,
}

pub(crate) fn corrupt(message: impl Into<String>) -> Error {
    Error::invalid(codes::CORRUPT_IMAGE, message)
}

/// Reads the header of `bytes` (already sniffed as `format`) and checks it against `limits`.
pub fn read(format: SourceFormat, bytes: &[u8], limits: &Limits) -> Result<SourceInfo> {
    limits.check_bytes(bytes.len())?;
    let info = match format {
        SourceFormat::Jpeg => walk_jpeg(bytes, limits)?,
        SourceFormat::Png => read_png(bytes, limits)?,
        SourceFormat::Webp => read_webp(bytes, limits)?,
    };
    limits.check_dimensions(info.width, info.height)?;
    Ok(info)
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]))
}

const EXIF_PREFIX: &[u8] = b"Exif\0\0";
const ICC_PREFIX: &[u8] = b"ICC_PROFILE\0";

fn walk_jpeg(bytes: &[u8], limits: &Limits) -> Result<SourceInfo> {
    let truncated = || corrupt("the JPEG is truncated");
    let mut info = SourceInfo::default();
    let mut icc_chunks: Vec<(u8, Vec<u8>)> = Vec::new();
    let mut seen_frame = false;
    let mut pos = 2; // after SOI
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        if *bytes.get(pos).ok_or_else(truncated)? != 0xFF {
            return Err(corrupt("the JPEG has garbage where a marker should be"));
        }
        while bytes.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *bytes.get(pos).ok_or_else(truncated)?;
        pos += 1;
        match marker {
            0xD9 => break,
            0xD8 => return Err(corrupt("the JPEG has a second start-of-image marker")),
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let len = usize::from(be16(bytes, pos).ok_or_else(truncated)?);
        if len < 2 {
            return Err(corrupt("the JPEG has a segment with an impossible length"));
        }
        let segment = bytes.get(pos + 2..pos + len).ok_or_else(truncated)?;
        pos += len;
        match marker {
            // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC).
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                if seen_frame {
                    return Err(corrupt("the JPEG has more than one frame header"));
                }
                seen_frame = true;
                let height = be16(segment, 1).ok_or_else(truncated)?;
                let width = be16(segment, 3).ok_or_else(truncated)?;
                if height == 0 {
                    return Err(Error::unsupported(
                        codes::UNSUPPORTED_FORMAT,
                        "JPEGs that declare their height after the image data (DNL) are not accepted",
                    ));
                }
                info.width = u32::from(width);
                info.height = u32::from(height);
                info.progressive = matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE);
                // Refuse a huge frame as soon as it is announced.
                limits.check_dimensions(info.width, info.height)?;
            }
            0xE1 if info.exif.is_none() && segment.starts_with(EXIF_PREFIX) => {
                info.exif = Some(segment[EXIF_PREFIX.len()..].to_vec());
            }
            0xE2 if segment.starts_with(ICC_PREFIX) && segment.len() >= ICC_PREFIX.len() + 2 => {
                let seq = segment[ICC_PREFIX.len()];
                icc_chunks.push((seq, segment[ICC_PREFIX.len() + 2..].to_vec()));
            }
            0xDA => {
                if !seen_frame {
                    return Err(corrupt("the JPEG has image data before its frame header"));
                }
                info.scans += 1;
                if info.scans > limits.max_scans {
                    return Err(Error::too_large(
                        codes::TOO_MANY_SCANS,
                        format!(
                            "the JPEG has more than {} scans; cameras and encoders write at most a few dozen",
                            limits.max_scans
                        ),
                    ));
                }
                pos = skip_entropy_coded(bytes, pos).ok_or_else(truncated)?;
            }
            _ => {}
        }
    }
    if !seen_frame || info.scans == 0 {
        return Err(corrupt("the JPEG has no image data"));
    }
    if !icc_chunks.is_empty() {
        icc_chunks.sort_by_key(|(seq, _)| *seq);
        info.icc = Some(icc_chunks.into_iter().flat_map(|(_, data)| data).collect());
    }
    Ok(info)
}

/// Returns the position of the 0xFF that starts the next marker after entropy-coded data.
fn skip_entropy_coded(bytes: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let ff = bytes.get(pos..)?.iter().position(|&b| b == 0xFF)? + pos;
        let next = *bytes.get(ff + 1)?;
        match next {
            // Stuffed zero byte and restart markers belong to the scan.
            0x00 | 0xD0..=0xD7 => pos = ff + 2,
            // A fill byte: the marker follows.
            0xFF => pos = ff + 1,
            _ => return Some(ff),
        }
    }
}

fn read_png(bytes: &[u8], limits: &Limits) -> Result<SourceInfo> {
    // IHDR is the first chunk at a fixed offset: check the size before the decoder exists.
    if bytes.get(12..16) != Some(b"IHDR") {
        return Err(corrupt("the PNG does not start with its header chunk"));
    }
    let dim = |at: usize| -> Result<u32> {
        bytes
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
            .ok_or_else(|| corrupt("the PNG is truncated"))
    };
    let (width, height) = (dim(16)?, dim(20)?);
    limits.check_dimensions(width, height)?;
    let mut decoder =
        image::codecs::png::PngDecoder::with_limits(Cursor::new(bytes), decoder_limits(limits))
            .map_err(|e| corrupt(format!("the PNG cannot be read: {e}")))?;
    Ok(SourceInfo {
        width,
        height,
        exif: decoder.exif_metadata().ok().flatten(),
        icc: decoder.icc_profile().ok().flatten(),
        progressive: false,
        scans: 0,
    })
}

fn read_webp(bytes: &[u8], limits: &Limits) -> Result<SourceInfo> {
    let mut decoder = image::codecs::webp::WebPDecoder::new(Cursor::new(bytes))
        .map_err(|e| corrupt(format!("the WebP cannot be read: {e}")))?;
    let (width, height) = decoder.dimensions();
    limits.check_dimensions(width, height)?;
    Ok(SourceInfo {
        width,
        height,
        exif: decoder.exif_metadata().ok().flatten(),
        icc: decoder.icc_profile().ok().flatten(),
        progressive: false,
        scans: 0,
    })
}

/// The same limits, in the `image` crate's terms (its decoders check them again).
pub(crate) fn decoder_limits(limits: &Limits) -> image::Limits {
    let mut out = image::Limits::default();
    out.max_image_width = Some(limits.max_side);
    out.max_image_height = Some(limits.max_side);
    // RGBA16 is the widest buffer a PNG decodes into.
    out.max_alloc = Some(limits.max_pixels.saturating_mul(8));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sof(width: u16, height: u16) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8];
        v.extend(height.to_be_bytes());
        v.extend(width.to_be_bytes());
        v.extend([1, 1, 0x11, 0]);
        v
    }

    #[test]
    fn a_huge_jpeg_frame_is_refused_from_its_header_alone() {
        let err = walk_jpeg(&sof(64_000, 64_000), &Limits::default()).expect_err("refused");
        assert_eq!(err.code(), codes::TOO_MANY_PIXELS);
    }

    #[test]
    fn a_jpeg_ending_inside_a_segment_is_truncated() {
        let err = walk_jpeg(&sof(10, 10)[..9], &Limits::default()).expect_err("refused");
        assert_eq!(err.code(), codes::CORRUPT_IMAGE);
    }

    #[test]
    fn a_jpeg_without_scans_is_corrupt() {
        let mut v = sof(10, 10);
        v.extend([0xFF, 0xD9]);
        let err = walk_jpeg(&v, &Limits::default()).expect_err("refused");
        assert_eq!(err.code(), codes::CORRUPT_IMAGE);
    }

    #[test]
    fn entropy_data_skips_stuffing_and_restarts() {
        let data = [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56, 0xFF, 0xFF, 0xD9];
        assert_eq!(skip_entropy_coded(&data, 0), Some(8));
    }

    #[test]
    fn limits_name_side_and_pixel_count() {
        let limits = Limits::default();
        assert!(limits.check_dimensions(8000, 6000).is_ok());
        assert_eq!(
            limits
                .check_dimensions(20_001, 10)
                .expect_err("side")
                .code(),
            codes::TOO_MANY_PIXELS
        );
        assert_eq!(
            limits
                .check_dimensions(10_001, 10_001)
                .expect_err("pixels")
                .code(),
            codes::TOO_MANY_PIXELS
        );
        assert_eq!(
            limits.check_dimensions(0, 10).expect_err("zero").code(),
            codes::CORRUPT_IMAGE
        );
    }
}
