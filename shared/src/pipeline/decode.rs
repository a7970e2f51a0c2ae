//! The one full decode, with explicit limits: JPEG through libjpeg-turbo at the smallest
//! M/8 DCT scale that still covers the largest output (most of the speed comes from here),
//! PNG and WebP through `image` (they have no reduced-resolution decode).

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
            let decoder = image::codecs::png::PngDecoder::with_limits(
                Cursor::new(bytes),
                decoder_limits(limits),
            )
            .map_err(|e| corrupt(format!("the PNG cannot be decoded: {e}")))?;
            with_image_decoder(decoder, limits)
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

/// RGB over white: transparent areas of a PNG become paper-white, not arbitrary colour.
fn flatten(image: DynamicImage) -> RgbImage {
    let (width, height) = (image.width(), image.height());
    let data = if image.color().has_alpha() {
        let rgba = image.into_rgba8();
        rgba.as_raw()
            .chunks_exact(4)
            .flat_map(|p| {
                let a = u16::from(p[3]);
                let over = |c: u8| ((u16::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
                [over(p[0]), over(p[1]), over(p[2])]
            })
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
