//! The event watermark: a photographer's PNG (with alpha) or a line of text set in the
//! bundled Noto Mono (SIL Open Font License, `shared/assets/fonts/OFL.txt`), placed at a
//! gravity, sized relative to the image width, blended at an opacity, and always fitted
//! inside the image (both sides) whatever its aspect ratio.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{PixelType, ResizeOptions, Resizer};

use super::codes;
use super::decode::png_pixels;
use super::header::Limits;
use super::resize::RgbImage;
use super::spec::anchor;
use crate::domain::{Gravity, Watermark, WatermarkSource};
use crate::error::{Error, Result};

static FONT: &[u8] = include_bytes!("../../assets/fonts/NotoMono-Regular.ttf");

/// Longest side of a watermark PNG, in pixels: it is scaled down to a fraction of a photo.
pub const MAX_MARK_SIDE: u32 = 4096;
/// Largest watermark PNG file [`check_watermark_image`] accepts.
pub const MAX_MARK_BYTES: usize = 4 * 1024 * 1024;
/// Widest aspect ratio (long side : short side) [`check_watermark_image`] accepts.
pub const MAX_MARK_ASPECT: u32 = 20;

/// Decides whether a PNG may become an event's image watermark; the API calls it when a
/// photographer sets one (PATCH of the event), so that a mark the pipeline would refuse,
/// or draw as a sliver, is refused at once instead of failing photos later.
///
/// Accepts a PNG of at most [`MAX_MARK_BYTES`] bytes that decodes completely, whose sides
/// are at most [`MAX_MARK_SIDE`] pixels and whose long side is at most [`MAX_MARK_ASPECT`]
/// times its short side. Anything else is `Error::Invalid` with code `invalid_watermark`
/// (HTTP 422) and a message saying which bound was crossed. It decodes the whole image
/// (at most 4096 × 4096 RGBA, 64 MiB), so call it once per change, not per request.
pub fn check_watermark_image(png: &[u8]) -> Result<()> {
    if png.len() > MAX_MARK_BYTES {
        return Err(invalid(format!(
            "the watermark PNG has {} bytes; the limit is {MAX_MARK_BYTES}",
            png.len()
        )));
    }
    let (width, height, _) = decode_mark(png)?;
    let (long, short) = (width.max(height), width.min(height));
    if long > short.saturating_mul(MAX_MARK_ASPECT) {
        return Err(invalid(format!(
            "the watermark is {width} × {height}; its long side may be at most \
             {MAX_MARK_ASPECT} times its short side"
        )));
    }
    Ok(())
}

/// Decodes a watermark PNG to straight RGBA, refusing a side past [`MAX_MARK_SIDE`].
fn decode_mark(png: &[u8]) -> Result<(u32, u32, Vec<u8>)> {
    if !png.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(invalid("the watermark is not a PNG"));
    }
    let limits = Limits {
        max_pixels: u64::from(MAX_MARK_SIDE).pow(2),
        max_side: MAX_MARK_SIDE,
        ..Limits::default()
    };
    let pixels = png_pixels(png, &limits)
        .map_err(|e| invalid(format!("the watermark is not a usable PNG: {e}")))?;
    Ok((pixels.width, pixels.height, pixels.into_rgba()))
}

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

    /// An image watermark from PNG bytes (alpha respected), at most [`MAX_MARK_SIDE`] per
    /// side. Unlike [`check_watermark_image`] it takes any aspect ratio (a mark set before
    /// that check existed still works): [`Self::apply`] fits the mark inside the image.
    pub fn image(png: &[u8], position: Gravity, opacity: f32, scale: f32) -> Result<Self> {
        let (width, height, rgba) = decode_mark(png)?;
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

    /// Draws the mark onto an upright image: `scale` of its width wide, but never wider or
    /// taller than the image inside its margins (a tall, narrow mark on a wide photo is
    /// made shorter, not allowed to ask for billions of pixels).
    pub fn apply(&self, target: &mut RgbImage) -> Result<()> {
        let margin_px = target.width.min(target.height) / 50;
        let room_width = target.width.saturating_sub(2 * margin_px).max(1);
        let room_height = target.height.saturating_sub(2 * margin_px).max(1);
        let want_width = ((target.width as f32) * self.scale)
            .round()
            .clamp(1.0, room_width as f32) as u32;
        let (width, height, coverage) = match &self.mark {
            Mark::Text(text) => render_text(text, want_width, room_height),
            Mark::Image {
                width,
                height,
                rgba,
            } => {
                let fitted = fit(*width, *height, want_width, room_height);
                scale_image(*width, *height, rgba, fitted)?
            }
        };
        if width == 0 || height == 0 {
            return Ok(());
        }
        let margin = f64::from(margin_px);
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

/// The size of a `width × height` mark scaled to `max_width` wide, then shrunk (aspect
/// kept, at least 1 × 1) until it is at most `max_height` tall.
fn fit(width: u32, height: u32, max_width: u32, max_height: u32) -> (u32, u32) {
    let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
    let scale = (f64::from(max_width) / w).min(f64::from(max_height) / h);
    let side = |v: f64, max: u32| ((v * scale).round() as u32).clamp(1, max.max(1));
    (side(w, max_width), side(h, max_height))
}

/// White text with a soft dark shadow (legible on light and dark photos), as RGBA, set
/// `want_width` wide or `max_height` tall, whichever is smaller.
fn render_text(text: &str, want_width: u32, max_height: u32) -> (u32, u32, Vec<u8>) {
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
    let line = font.as_scaled(PxScale::from(100.0)).height() / 100.0;
    let by_height = if line > 0.0 {
        max_height as f32 / (line * 1.05) // room for the shadow
    } else {
        f32::MAX
    };
    let px = (want_width as f32 / unit).min(by_height).clamp(4.0, 2000.0);
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
    (want_width, want_height): (u32, u32),
) -> Result<(u32, u32, Vec<u8>)> {
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

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        image::RgbaImage::from_pixel(width, height, image::Rgba([0, 0, 255, 255]))
            .write_to(&mut out, image::ImageFormat::Png)
            .expect("png");
        out.into_inner()
    }

    #[test]
    fn a_tall_narrow_mark_is_fitted_inside_the_image() {
        // 1 × 4096 at a quarter of a 2048-wide copy would be 512 × 2,097,152 unfitted.
        let mark =
            PreparedWatermark::image(&png(1, 4096), Gravity::NorthWest, 1.0, 0.25).expect("mark");
        let mut img = grey(2048, 1365);
        mark.apply(&mut img).expect("apply");
        let touched = changed(&img);
        let max_y = touched.iter().map(|p| p.1).max().unwrap_or(0);
        let max_x = touched.iter().map(|p| p.0).max().unwrap_or(0);
        assert!(!touched.is_empty());
        assert!(max_y < 1365 - 27, "inside the bottom margin, at {max_y}");
        assert!(max_x < 30, "as narrow as its aspect makes it, at {max_x}");
    }

    #[test]
    fn a_wide_mark_and_long_text_stay_inside_a_short_image() {
        for mark in [
            PreparedWatermark::image(&png(4096, 64), Gravity::SouthEast, 1.0, 1.0),
            PreparedWatermark::text(&"W".repeat(3), Gravity::SouthEast, 1.0, 1.0),
        ] {
            let mut img = grey(4000, 40);
            mark.expect("mark").apply(&mut img).expect("apply");
            assert!(!changed(&img).is_empty());
        }
        assert_eq!(fit(1, 4096, 512, 1300), (1, 1300));
        assert_eq!(fit(4096, 1, 512, 1300), (512, 1));
        assert_eq!(fit(100, 50, 200, 1000), (200, 100));
    }

    #[test]
    fn the_watermark_check_enforces_format_size_and_aspect() {
        assert!(check_watermark_image(&png(400, 100)).is_ok());
        assert!(
            check_watermark_image(&png(20, 400)).is_ok(),
            "20:1 is the limit"
        );
        for (bytes, why) in [
            (png(1, 4096), "aspect"),
            (png(21, 1), "aspect"),
            (png(4097, 300), "side"),
            (b"GIF89a".to_vec(), "not a PNG"),
            (png(64, 64)[..60].to_vec(), "truncated"),
            (vec![0; MAX_MARK_BYTES + 1], "bytes"),
        ] {
            let err = check_watermark_image(&bytes).expect_err(why);
            assert_eq!(err.code(), codes::INVALID_WATERMARK, "{why}");
        }
    }

    #[test]
    fn a_non_png_image_mark_is_refused() {
        let err =
            PreparedWatermark::image(b"GIF89a", Gravity::Center, 1.0, 0.5).expect_err("refused");
        assert_eq!(err.code(), codes::INVALID_WATERMARK);
    }
}
