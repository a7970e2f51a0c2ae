//! Encoding an upright RGB image, with only the metadata we mean to publish.
//!
//! JPEG goes through libjpeg-turbo (4:2:0, like libvips' default); the kept EXIF and the
//! source ICC profile are spliced in as APP1/APP2 segments right after the JFIF header.
//! PNG and WebP carry the same two blocks as chunks.

use image::{ExtendedColorType, ImageEncoder};
use turbojpeg::{Compressor, PixelFormat, Subsamp};

use super::OutputFormat;
use super::resize::RgbImage;
use crate::error::{Error, Result};

/// The metadata that travels into an output.
#[derive(Debug, Clone, Copy, Default)]
pub struct OutputMetadata<'a> {
    /// Raw TIFF-structured EXIF (see `metadata::output_exif`).
    pub exif: Option<&'a [u8]>,
    /// The source colour profile, embedded unchanged so P3 photos keep their colours.
    pub icc: Option<&'a [u8]>,
}

/// Encodes `image` as `format` (quality 1–100 applies to JPEG only).
pub fn encode(
    image: &RgbImage,
    format: OutputFormat,
    quality: u8,
    metadata: OutputMetadata<'_>,
) -> Result<Vec<u8>> {
    match format {
        OutputFormat::Jpeg => encode_jpeg(image, quality, metadata),
        OutputFormat::Png => {
            let mut out = Vec::new();
            let encoder = image::codecs::png::PngEncoder::new(&mut out);
            with_image_encoder(encoder, image, metadata)?;
            Ok(out)
        }
        OutputFormat::Webp => {
            let mut out = Vec::new();
            let encoder = image::codecs::webp::WebPEncoder::new_lossless(&mut out);
            with_image_encoder(encoder, image, metadata)?;
            Ok(out)
        }
    }
}

fn encode_jpeg(image: &RgbImage, quality: u8, metadata: OutputMetadata<'_>) -> Result<Vec<u8>> {
    let failed = |e| Error::internal("JPEG encoding failed", e);
    let mut compressor = Compressor::new().map_err(failed)?;
    compressor
        .set_quality(i32::from(quality.clamp(1, 100)))
        .map_err(failed)?;
    compressor.set_subsamp(Subsamp::Sub2x2).map_err(failed)?;
    let pixels = turbojpeg::Image {
        pixels: image.data.as_slice(),
        width: image.width as usize,
        pitch: image.width as usize * 3,
        height: image.height as usize,
        format: PixelFormat::RGB,
    };
    let jpeg = compressor.compress_to_vec(pixels).map_err(failed)?;
    let mut segments = Vec::new();
    if let Some(exif) = metadata.exif {
        let mut payload = b"Exif\0\0".to_vec();
        payload.extend_from_slice(exif);
        segments.push((0xE1, payload));
    }
    if let Some(icc) = metadata.icc {
        segments.extend(icc_segments(icc).into_iter().map(|p| (0xE2, p)));
    }
    Ok(insert_segments(jpeg, &segments))
}

/// Splits an ICC profile into `ICC_PROFILE` APP2 payloads (at most 255 of 65,519 bytes).
fn icc_segments(icc: &[u8]) -> Vec<Vec<u8>> {
    const CHUNK: usize = 65_519;
    let chunks: Vec<&[u8]> = icc.chunks(CHUNK).collect();
    let Ok(count) = u8::try_from(chunks.len()) else {
        return Vec::new(); // > 16 MB of profile: drop it rather than write a broken file
    };
    chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let mut p = b"ICC_PROFILE\0".to_vec();
            p.push(i as u8 + 1);
            p.push(count);
            p.extend_from_slice(chunk);
            p
        })
        .collect()
}

/// Inserts `(marker, payload)` segments after SOI and any APP0 (JFIF must come first).
fn insert_segments(jpeg: Vec<u8>, segments: &[(u8, Vec<u8>)]) -> Vec<u8> {
    if segments.is_empty() {
        return jpeg;
    }
    let mut at = 2;
    while jpeg.get(at) == Some(&0xFF) && jpeg.get(at + 1) == Some(&0xE0) {
        let len = jpeg
            .get(at + 2..at + 4)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
            .unwrap_or(0);
        at += 2 + len;
    }
    let at = at.min(jpeg.len());
    let mut out =
        Vec::with_capacity(jpeg.len() + segments.iter().map(|s| s.1.len() + 4).sum::<usize>());
    out.extend_from_slice(&jpeg[..at]);
    for (marker, payload) in segments {
        let Ok(len) = u16::try_from(payload.len() + 2) else {
            continue;
        };
        out.extend([0xFF, *marker]);
        out.extend(len.to_be_bytes());
        out.extend_from_slice(payload);
    }
    out.extend_from_slice(&jpeg[at..]);
    out
}

fn with_image_encoder(
    mut encoder: impl ImageEncoder,
    image: &RgbImage,
    metadata: OutputMetadata<'_>,
) -> Result<()> {
    // Both encoders support these; an encoder that did not would just write the pixels.
    if let Some(icc) = metadata.icc {
        let _ = encoder.set_icc_profile(icc.to_vec());
    }
    if let Some(exif) = metadata.exif {
        let _ = encoder.set_exif_metadata(exif.to_vec());
    }
    encoder
        .write_image(
            &image.data,
            image.width,
            image.height,
            ExtendedColorType::Rgb8,
        )
        .map_err(|e| Error::internal("image encoding failed", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_go_after_the_jfif_header() {
        let jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 1, 2, 0xFF, 0xDB];
        let out = insert_segments(jpeg, &[(0xE1, vec![9, 9])]);
        assert_eq!(
            out,
            vec![
                0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 1, 2, 0xFF, 0xE1, 0, 4, 9, 9, 0xFF, 0xDB
            ]
        );
    }

    #[test]
    fn a_large_profile_is_split_into_numbered_chunks() {
        let segments = icc_segments(&vec![7u8; 70_000]);
        assert_eq!(segments.len(), 2);
        assert_eq!(&segments[1][12..14], &[2, 2]);
        assert_eq!(segments[0].len() + segments[1].len() - 28, 70_000);
    }
}
