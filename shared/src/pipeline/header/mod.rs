//! Header reading and the limits checked on it, before a single pixel is decoded.
//!
//! Each container is walked by hand, segment by segment or chunk by chunk, over the bytes
//! as they are: every declared length is checked against what is left of the file before
//! anything is read, metadata is sliced (not copied) out of the file, and nothing is
//! allocated from a size the file declares. The same walk finds the frame size, the EXIF
//! and ICC blocks, and refuses markup hidden in metadata ([`super::markup`]).
//! A JPEG's scans are counted on the way (thousands of scans are a decoding-time bomb).

mod jpeg;
mod png;
mod webp;

use super::sniff::SourceFormat;
use super::{Note, codes};
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
    /// Largest colour profile carried into the outputs; a larger one is left out of them
    /// (with a [`Note`]) rather than copied into every thumbnail.
    pub max_icc_bytes: usize,
    /// Most bytes of one metadata block read: an EXIF block is read from its start up to
    /// this (its first directory, with the orientation, comes first), and a compressed PNG
    /// text chunk may inflate to this much before the file is refused.
    pub max_metadata_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_pixels: 100_000_000,
            max_side: 20_000,
            max_bytes: crate::domain::MAX_ORIGINAL_BYTES,
            max_scans: 100,
            max_icc_bytes: 64 * 1024,
            max_metadata_bytes: 1024 * 1024,
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
    /// What was left out on the way (an oversized colour profile).
    pub notes: Vec<Note>,
}

pub(crate) fn corrupt(message: impl Into<String>) -> Error {
    Error::invalid(codes::CORRUPT_IMAGE, message)
}

/// Reads the header of `bytes` (already sniffed as `format`) and checks it against `limits`.
pub fn read(format: SourceFormat, bytes: &[u8], limits: &Limits) -> Result<SourceInfo> {
    limits.check_bytes(bytes.len())?;
    let info = match format {
        SourceFormat::Jpeg => jpeg::read(bytes, limits)?,
        SourceFormat::Png => png::read(bytes, limits)?,
        SourceFormat::Webp => webp::read(bytes, limits)?,
    };
    limits.check_dimensions(info.width, info.height)?;
    Ok(info)
}

/// Keeps a colour profile of `len` bytes (made by `make`, only then) when it is within
/// `limits.max_icc_bytes`; otherwise records why the outputs will have none.
fn keep_icc(
    len: usize,
    limits: &Limits,
    notes: &mut Vec<Note>,
    make: impl FnOnce() -> Vec<u8>,
) -> Option<Vec<u8>> {
    if len <= limits.max_icc_bytes {
        return Some(make());
    }
    notes.push(icc_dropped(len, limits));
    None
}

fn icc_dropped(len: usize, limits: &Limits) -> Note {
    Note {
        code: codes::ICC_PROFILE_DROPPED,
        message: format!(
            "the colour profile has {len} bytes, more than the {} kept in outputs; they have \
             none and show as sRGB",
            limits.max_icc_bytes
        ),
    }
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
