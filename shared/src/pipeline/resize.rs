//! Lanczos3 resampling (SIMD chosen at run time) of 8-bit RGB images, with an optional
//! source crop so that cropping costs nothing extra.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use crate::error::{Error, Result};

/// A packed 8-bit RGB image (3 bytes per pixel, no row padding).
#[derive(Clone, PartialEq, Eq)]
pub struct RgbImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width × height × 3` bytes, row by row.
    pub data: Vec<u8>,
}

impl std::fmt::Debug for RgbImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RgbImage({}×{})", self.width, self.height)
    }
}

/// A rectangle in continuous pixel coordinates (sub-pixel crops keep resampling exact).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

impl Rect {
    /// The whole of a `width × height` image.
    pub fn full(width: u32, height: u32) -> Self {
        Self {
            x: 0.0,
            y: 0.0,
            width: f64::from(width),
            height: f64::from(height),
        }
    }

    /// The same rectangle on an image scaled by `sx`, `sy`.
    pub fn scaled(self, sx: f64, sy: f64) -> Self {
        Self {
            x: self.x * sx,
            y: self.y * sy,
            width: self.width * sx,
            height: self.height * sy,
        }
    }
}

/// The size that fits `width × height` into a square of `long_side`, never enlarging.
pub fn fit_long_side(width: u32, height: u32, long_side: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= long_side {
        return (width, height);
    }
    let scale = f64::from(long_side) / f64::from(long);
    let w = ((f64::from(width) * scale).round() as u32).clamp(1, long_side);
    let h = ((f64::from(height) * scale).round() as u32).clamp(1, long_side);
    (w, h)
}

/// Resamples `area` of `src` to exactly `width × height` with Lanczos3.
pub fn resize(src: &RgbImage, area: Rect, width: u32, height: u32) -> Result<RgbImage> {
    let whole = area == Rect::full(src.width, src.height);
    if whole && width == src.width && height == src.height {
        return Ok(src.clone());
    }
    let view = ImageRef::new(src.width, src.height, &src.data, PixelType::U8x3)
        .map_err(|e| Error::internal("resize source buffer does not match its size", e))?;
    let mut dst = Image::new(width, height, PixelType::U8x3);
    let mut options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    if !whole {
        options = options.crop(area.x, area.y, area.width, area.height);
    }
    Resizer::new()
        .resize(&view, &mut dst, &options)
        .map_err(|e| Error::internal("resize failed", e))?;
    Ok(RgbImage {
        width,
        height,
        data: dst.into_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_side_fits_and_never_enlarges() {
        assert_eq!(fit_long_side(6000, 4000, 2048), (2048, 1365));
        assert_eq!(fit_long_side(4000, 6000, 400), (267, 400));
        assert_eq!(fit_long_side(1000, 700, 2048), (1000, 700));
        assert_eq!(fit_long_side(20_000, 1, 400), (400, 1));
    }

    #[test]
    fn a_flat_colour_stays_flat_through_resampling() {
        let src = RgbImage {
            width: 64,
            height: 48,
            data: [10u8, 200, 30].repeat(64 * 48),
        };
        let out = resize(&src, Rect::full(64, 48), 16, 12).expect("resize");
        assert_eq!((out.width, out.height), (16, 12));
        assert!(out.data.chunks(3).all(|p| p == [10, 200, 30]));
    }
}
