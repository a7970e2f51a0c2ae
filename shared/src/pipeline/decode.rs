//! The one full decode, with explicit limits: JPEG through libjpeg-turbo at the smallest
//! M/8 DCT scale that still covers the largest output (most of the speed comes from here),
//! PNG through `png` and WebP through `image` (they have no reduced-resolution decode).
//!
//! PNG is decoded with `png` directly so that its iCCP and text chunks can be skipped: the
//! header walk has already read them with a bound, and `image` would inflate a profile up
//! to its whole allocation limit (hundreds of megabytes) before a pixel is read.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder};
use turbojpeg::{Colorspace, Decompressor, PixelFormat, ScalingFactor};

use super::codes;
use super::header::{Limits, SourceInfo, corrupt, decoder_limits};
use super::resize::RgbImage;
use super::sniff::SourceFormat;
use crate::error::{Error, Result};

/// Decodes `bytes` to RGB at a size no smaller than `min_scale` of the stored size
/// (JPEG only; other formats decode at full size).
pub fn decode(
    format: SourceFormat,
    bytes: &[u8],
    info: &SourceInfo,
    limits: &Limits,
    min_scale: f64,
) -> Result<RgbImage> {
    match format {
        SourceFormat::Jpeg => decode_jpeg(bytes, info, limits, min_scale),
        SourceFormat::Png => {
            let png = png_pixels(bytes, limits)?;
            Ok(png.into_rgb_over_white())
        }
        SourceFormat::Webp => {
            let mut decoder = image::codecs::webp::WebPDecoder::new(Cursor::new(bytes))
                .map_err(|e| corrupt(format!("the WebP cannot be decoded: {e}")))?;
            decoder
                .set_limits(decoder_limits(limits))
                .map_err(|e| corrupt(format!("the WebP is past the limits: {e}")))?;
            with_image_decoder(decoder, limits)
        }
    }
}

/// A decoded PNG: 8 bits per sample, 1 to 4 samples per pixel (grey, grey + alpha, RGB, RGBA).
pub(crate) struct PngPixels {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) channels: usize,
    pub(crate) data: Vec<u8>,
}

/// Internal buffers of the `png` decoder (rows, unskipped chunks), not the image itself.
const PNG_WORKING_BYTES: usize = 64 * 1024 * 1024;

/// Decodes a PNG (its first frame) to 8-bit samples, refusing a size past `limits`.
pub(crate) fn png_pixels(bytes: &[u8], limits: &Limits) -> Result<PngPixels> {
    let failed = |e: png::DecodingError| corrupt(format!("the PNG cannot be decoded: {e}"));
    let mut decoder = png::Decoder::new_with_limits(
        Cursor::new(bytes),
        png::Limits {
            bytes: PNG_WORKING_BYTES,
        },
    );
    decoder.set_ignore_iccp_chunk(true);
    decoder.set_ignore_text_chunk(true);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(failed)?;
    let (width, height) = (reader.info().width, reader.info().height);
    limits.check_dimensions(width, height)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| corrupt("the PNG is too large to decode"))?;
    let mut data = vec![0u8; size];
    let frame = reader.next_frame(&mut data).map_err(failed)?;
    data.truncate(frame.buffer_size());
    let channels = match reader.output_color_type().0 {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => return Err(corrupt("the PNG palette could not be expanded")),
    };
    if data.len() != width as usize * height as usize * channels {
        return Err(corrupt("the PNG decoded to an unexpected size"));
    }
    Ok(PngPixels {
        width,
        height,
        channels,
        data,
    })
}

impl PngPixels {
    /// Straight-alpha RGBA.
    pub(crate) fn into_rgba(self) -> Vec<u8> {
        match self.channels {
            4 => self.data,
            3 => self
                .data
                .chunks_exact(3)
                .flat_map(|p| [p[0], p[1], p[2], 255])
                .collect(),
            2 => self
                .data
                .chunks_exact(2)
                .flat_map(|p| [p[0], p[0], p[0], p[1]])
                .collect(),
            _ => self.data.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        }
    }

    /// RGB over white: transparent areas become paper-white, not arbitrary colour.
    fn into_rgb_over_white(self) -> RgbImage {
        let (width, height) = (self.width, self.height);
        let data = match self.channels {
            3 => self.data,
            1 => self.data.iter().flat_map(|&g| [g, g, g]).collect(),
            2 => self
                .data
                .chunks_exact(2)
                .flat_map(|p| [over(p[0], p[1]); 3])
                .collect(),
            _ => self
                .data
                .chunks_exact(4)
                .flat_map(|p| [over(p[0], p[3]), over(p[1], p[3]), over(p[2], p[3])])
                .collect(),
        };
        RgbImage {
            width,
            height,
            data,
        }
    }
}

/// A sample of alpha `a` over white.
fn over(c: u8, a: u8) -> u8 {
    let a = u16::from(a);
    ((u16::from(c) * a + 255 * (255 - a) + 127) / 255) as u8
}

/// The smallest `M/8` (M = 1..=8) whose scaled size is at least `min_scale` of the original.
pub fn jpeg_scale_for(min_scale: f64) -> ScalingFactor {
    let eighths = (min_scale * 8.0 - 1e-9).ceil().clamp(1.0, 8.0) as usize;
    ScalingFactor::new(eighths, 8)
}

fn decode_jpeg(
    bytes: &[u8],
    info: &SourceInfo,
    limits: &Limits,
    min_scale: f64,
) -> Result<RgbImage> {
    let failed = |e: turbojpeg::Error| corrupt(format!("the JPEG cannot be decoded: {e}"));
    let mut decompressor =
        Decompressor::new().map_err(|e| Error::internal("libjpeg-turbo did not start", e))?;
    decompressor
        .set_scan_limit(limits.max_scans)
        .map_err(|e| Error::internal("libjpeg-turbo refused a scan limit", e))?;
    let header = decompressor.read_header(bytes).map_err(failed)?;
    if (header.width, header.height) != (info.width as usize, info.height as usize) {
        return Err(corrupt("the JPEG declares two different sizes"));
    }
    if matches!(header.colorspace, Colorspace::CMYK | Colorspace::YCCK) {
        return Err(Error::unsupported(
            codes::UNSUPPORTED_FORMAT,
            "CMYK JPEGs (print files) are not accepted; export the photo as RGB",
        ));
    }
    // Lossless JPEG cannot be scaled in the DCT domain.
    let factor = if header.is_lossless {
        ScalingFactor::ONE
    } else {
        jpeg_scale_for(min_scale)
    };
    decompressor.set_scaling_factor(factor).map_err(failed)?;
    let scaled = header.scaled(factor);
    let (width, height) = (scaled.width, scaled.height);
    let mut data = vec![0u8; width * height * 3];
    let image = turbojpeg::Image {
        pixels: data.as_mut_slice(),
        width,
        pitch: width * 3,
        height,
        format: PixelFormat::RGB,
    };
    decompressor.decompress(bytes, image).map_err(failed)?;
    Ok(RgbImage {
        width: u32::try_from(width).map_err(|_| corrupt("the JPEG is too wide"))?,
        height: u32::try_from(height).map_err(|_| corrupt("the JPEG is too tall"))?,
        data,
    })
}

fn with_image_decoder(mut decoder: impl ImageDecoder, limits: &Limits) -> Result<RgbImage> {
    let (width, height) = decoder.dimensions();
    limits.check_dimensions(width, height)?;
    decoder
        .set_limits(decoder_limits(limits))
        .map_err(|e| corrupt(format!("the image is past the decoder limits: {e}")))?;
    let image = DynamicImage::from_decoder(decoder)
        .map_err(|e| corrupt(format!("the image cannot be decoded: {e}")))?;
    Ok(flatten(image))
}

/// RGB over white: transparent areas of a WebP become paper-white, not arbitrary colour.
fn flatten(image: DynamicImage) -> RgbImage {
    let (width, height) = (image.width(), image.height());
    let data = if image.color().has_alpha() {
        let rgba = image.into_rgba8();
        rgba.as_raw()
            .chunks_exact(4)
            .flat_map(|p| [over(p[0], p[3]), over(p[1], p[3]), over(p[2], p[3])])
            .collect()
    } else {
        image.into_rgb8().into_raw()
    };
    RgbImage {
        width,
        height,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_is_the_smallest_eighth_that_covers() {
        let eighths = |s| jpeg_scale_for(s).num() * 8 / jpeg_scale_for(s).denom();
        assert_eq!(eighths(2048.0 / 6000.0), 3);
        assert_eq!(eighths(0.25), 2);
        assert_eq!(eighths(0.01), 1);
        assert_eq!(eighths(1.0), 8);
        assert_eq!(eighths(3.0), 8);
    }
}
