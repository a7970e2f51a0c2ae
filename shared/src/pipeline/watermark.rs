//! The event watermark: a photographer's PNG (with alpha) or a line of text set in the
//! bundled Noto Mono (SIL Open Font License, `shared/assets/fonts/OFL.txt`), placed at a
//! gravity, sized relative to the image width, blended at an opacity.

use std::io::Cursor;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{PixelType, ResizeOptions, Resizer};
use image::ImageDecoder;

use super::codes;
use super::resize::RgbImage;
use super::spec::anchor;
use crate::domain::{Gravity, Watermark, WatermarkSource};
use crate::error::{Error, Result};

static FONT: &[u8] = include_bytes!("../../assets/fonts/NotoMono-Regular.ttf");

/// Largest watermark PNG accepted (side, pixels): it is scaled down to a fraction of a photo.
const MAX_MARK_SIDE: u32 = 4096;

/// A watermark ready to be drawn: the PNG already decoded, the text already validated.
#[derive(Clone)]
pub struct PreparedWatermark {
    mark: Mark,
    position: Gravity,
    opacity: f32,
    scale: f32,
}

#[derive(Clone)]
enum Mark {
    Text(String),
    /// Straight (not premultiplied) RGBA.
    Image {
        width: u32,
        height: u32,
        rgba: Vec<u8>,
    },
}

impl std::fmt::Debug for PreparedWatermark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mark = match &self.mark {
            Mark::Text(text) => format!("text {text:?}"),
            Mark::Image { width, height, .. } => format!("image {width}×{height}"),
        };
        f.debug_struct("PreparedWatermark")
            .field("mark", &mark)
            .field("position", &self.position)
            .field("opacity", &self.opacity)
            .field("scale", &self.scale)
            .finish()
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::invalid(codes::INVALID_WATERMARK, message)
}

impl PreparedWatermark {
    /// A text watermark. Opacity is clamped to 0–1 and scale (mark width / image width) to 0.01–1.
    pub fn text(text: &str, position: Gravity, opacity: f32, scale: f32) -> Result<Self> {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > 200 {
            return Err(invalid("watermark text must have 1 to 200 characters"));
        }
        Ok(Self {
            mark: Mark::Text(text.to_string()),
            position,
            opacity: clamp(opacity, 0.0, 1.0),
            scale: clamp(scale, 0.01, 1.0),
        })
    }

    /// An image watermark from PNG bytes (alpha respected).
    pub fn image(png: &[u8], position: Gravity, opacity: f32, scale: f32) -> Result<Self> {
        let bad = |e: image::ImageError| invalid(format!("the watermark is not a usable PNG: {e}"));
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(MAX_MARK_SIDE);
        limits.max_image_height = Some(MAX_MARK_SIDE);
        limits.max_alloc = Some(u64::from(MAX_MARK_SIDE).pow(2) * 8);
        let decoder =
            image::codecs::png::PngDecoder::with_limits(Cursor::new(png), limits).map_err(bad)?;
        let (width, height) = decoder.dimensions();
        let rgba = image::DynamicImage::from_decoder(decoder)
            .map_err(bad)?
            .into_rgba8()
            .into_raw();
        Ok(Self {
            mark: Mark::Image {
                width,
                height,
                rgba,
            },
            position,
            opacity: clamp(opacity, 0.0, 1.0),
            scale: clamp(scale, 0.01, 1.0),
        })
    }

    /// From the event's watermark; `image_png` is the PNG its `image_photo_id` points at.
    pub fn from_domain(watermark: &Watermark, image_png: Option<&[u8]>) -> Result<Self> {
        match &watermark.source {
            WatermarkSource::Text { text } => {
                Self::text(text, watermark.position, watermark.opacity, watermark.scale)
            }
            WatermarkSource::Image { .. } => {
                let png = image_png.ok_or_else(|| invalid("the watermark image is missing"))?;
                Self::image(png, watermark.position, watermark.opacity, watermark.scale)
            }
        }
    }

    /// Draws the mark onto an upright image.
    pub fn apply(&self, target: &mut RgbImage) -> Result<()> {
        let want_width = ((target.width as f32) * self.scale).round().max(1.0) as u32;
        let (width, height, coverage) = match &self.mark {
            Mark::Text(text) => render_text(text, want_width),
            Mark::Image {
                width,
                height,
                rgba,
            } => scale_image(*width, *height, rgba, want_width)?,
        };
        if width == 0 || height == 0 {
            return Ok(());
        }
        let margin = (target.width.min(target.height) / 50) as f64;
        let (fx, fy) = anchor(self.position);
        let free_x = (f64::from(target.width) - 2.0 * margin - f64::from(width)).max(0.0);
        let free_y = (f64::from(target.height) - 2.0 * margin - f64::from(height)).max(0.0);
        let x0 = (margin + free_x * fx).round() as usize;
        let y0 = (margin + free_y * fy).round() as usize;
        let (tw, th) = (target.width as usize, target.height as usize);
        for my in 0..height as usize {
            let ty = y0 + my;
            if ty >= th {
                break;
            }
            for mx in 0..width as usize {
                let tx = x0 + mx;
                if tx >= tw {
                    break;
                }
                let m = &coverage[(my * width as usize + mx) * 4..][..4];
                let alpha = f32::from(m[3]) / 255.0 * self.opacity;
                if alpha <= 0.0 {
                    continue;
                }
                let px = &mut target.data[(ty * tw + tx) * 3..][..3];
                for c in 0..3 {
                    let v = f32::from(px[c]) * (1.0 - alpha) + f32::from(m[c]) * alpha;
                    px[c] = v.round().clamp(0.0, 255.0) as u8;
                }
            }
        }
        Ok(())
    }
}

fn clamp(v: f32, lo: f32, hi: f32) -> f32 {
    if v.is_nan() { hi } else { v.clamp(lo, hi) }
}

/// White text with a soft dark shadow (legible on light and dark photos), as RGBA.
fn render_text(text: &str, want_width: u32) -> (u32, u32, Vec<u8>) {
    let Ok(font) = FontRef::try_from_slice(FONT) else {
        return (0, 0, Vec::new());
    };
    // Measure at 1 px, then pick the size that makes the line `want_width` wide.
    let advance_at = |px: f32| {
        let scaled = font.as_scaled(PxScale::from(px));
        let mut width = 0.0;
        let mut previous = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = previous {
                width += scaled.kern(p, id);
            }
            width += scaled.h_advance(id);
            previous = Some(id);
        }
        width
    };
    let unit = advance_at(100.0) / 100.0;
    if unit <= 0.0 {
        return (0, 0, Vec::new());
    }
    let px = (want_width as f32 / unit).clamp(4.0, 2000.0);
    let scaled = font.as_scaled(PxScale::from(px));
    let shadow = (px / 24.0).ceil().max(1.0) as u32;
    let width = (advance_at(px).ceil() as u32 + shadow).max(1);
    let height = (scaled.height().ceil() as u32 + shadow).max(1);
    let mut fill = vec![0f32; (width * height) as usize];
    let mut caret = 0.0;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            caret += scaled.kern(p, id);
        }
        let glyph = id.with_scale_and_position(px, point(caret, scaled.ascent()));
        caret += scaled.h_advance(id);
        previous = Some(id);
        if let Some(outlined) = font.outline_glyph(glyph) {
            let bounds = outlined.px_bounds();
            outlined.draw(|x, y, c| {
                let gx = bounds.min.x as i64 + i64::from(x);
                let gy = bounds.min.y as i64 + i64::from(y);
                if gx >= 0 && gy >= 0 && (gx as u32) < width && (gy as u32) < height {
                    let at = (gy as u32 * width + gx as u32) as usize;
                    fill[at] = (fill[at] + c).min(1.0);
                }
            });
        }
    }
    let mut rgba = vec![0u8; (width * height * 4) as usize];
    for y in 0..height {
        for x in 0..width {
            let here = fill[(y * width + x) as usize];
            let shade = if x >= shadow && y >= shadow {
                fill[((y - shadow) * width + x - shadow) as usize] * 0.6
            } else {
                0.0
            };
            // White over the shadow, composited into one straight-alpha pixel.
            let alpha = here + shade * (1.0 - here);
            let value = if alpha > 0.0 { here / alpha } else { 0.0 };
            let at = ((y * width + x) * 4) as usize;
            let v = (value * 255.0).round() as u8;
            rgba[at..at + 4].copy_from_slice(&[v, v, v, (alpha * 255.0).round() as u8]);
        }
    }
    (width, height, rgba)
}

fn scale_image(
    width: u32,
    height: u32,
    rgba: &[u8],
    want_width: u32,
) -> Result<(u32, u32, Vec<u8>)> {
    let want_height =
        ((f64::from(height) * f64::from(want_width) / f64::from(width)).round() as u32).max(1);
    if (want_width, want_height) == (width, height) {
        return Ok((width, height, rgba.to_vec()));
    }
    let src = ImageRef::new(width, height, rgba, PixelType::U8x4)
        .map_err(|e| Error::internal("watermark buffer does not match its size", e))?;
    let mut dst = Image::new(want_width, want_height, PixelType::U8x4);
    Resizer::new()
        .resize(&src, &mut dst, &ResizeOptions::new())
        .map_err(|e| Error::internal("watermark resize failed", e))?;
    Ok((want_width, want_height, dst.into_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey(w: u32, h: u32) -> RgbImage {
        RgbImage {
            width: w,
            height: h,
            data: vec![128; (w * h * 3) as usize],
        }
    }

    fn changed(img: &RgbImage) -> Vec<(usize, usize)> {
        img.data
            .chunks(3)
            .enumerate()
            .filter(|(_, p)| p != &[128, 128, 128])
            .map(|(i, _)| (i % img.width as usize, i / img.width as usize))
            .collect()
    }

    #[test]
    fn text_is_drawn_at_its_gravity_and_width() {
        let mut img = grey(400, 300);
        PreparedWatermark::text("© Anna", Gravity::SouthEast, 1.0, 0.5)
            .expect("text")
            .apply(&mut img)
            .expect("apply");
        let touched = changed(&img);
        assert!(!touched.is_empty());
        let min_x = touched.iter().map(|p| p.0).min().unwrap_or(0);
        let min_y = touched.iter().map(|p| p.1).min().unwrap_or(0);
        assert!(min_x >= 180, "text starts right of centre, at {min_x}");
        assert!(min_y >= 200, "text sits at the bottom, at {min_y}");
    }

    #[test]
    fn zero_opacity_changes_nothing() {
        let mut img = grey(200, 100);
        PreparedWatermark::text("x", Gravity::Center, 0.0, 0.5)
            .expect("text")
            .apply(&mut img)
            .expect("apply");
        assert!(changed(&img).is_empty());
    }

    #[test]
    fn a_non_png_image_mark_is_refused() {
        let err =
            PreparedWatermark::image(b"GIF89a", Gravity::Center, 1.0, 0.5).expect_err("refused");
        assert_eq!(err.code(), codes::INVALID_WATERMARK);
    }
}
