//! Custom derivatives (the API's `spec`): crop by box or by aspect and gravity, resize with a
//! fit mode, then format, quality and whether the event watermark applies.
//!
//! All sizes are given on the upright image; [`DeriveSpec::geometry`] turns a spec into the
//! source rectangle and output size the pipeline resamples.

use serde::{Deserialize, Serialize};

use super::OutputFormat;
use super::codes;
use super::header::Limits;
use super::resize::Rect;
use crate::domain::Gravity;
use crate::error::{Error, Result};

/// One custom derivative, as the API and `picpass derive --spec` accept it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeriveSpec {
    /// Which part of the upright image to keep (the whole image when absent).
    #[serde(
        default,
        deserialize_with = "crate::domain::fields::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub crop: Option<Crop>,
    /// The output size (the crop's size when absent).
    #[serde(
        default,
        deserialize_with = "crate::domain::fields::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub resize: Option<Resize>,
    /// Output encoding (JPEG when absent).
    #[serde(
        default,
        deserialize_with = "crate::domain::fields::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub format: Option<OutputFormat>,
    /// JPEG quality 1–100 (82 when absent).
    #[serde(
        default,
        deserialize_with = "crate::domain::fields::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub quality: Option<u8>,
    /// Apply the event's watermark.
    #[serde(default)]
    pub watermark: bool,
}

/// A crop on the upright image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum Crop {
    /// An explicit box in upright pixels.
    Box {
        /// Left edge.
        x: u32,
        /// Top edge.
        y: u32,
        /// Width.
        width: u32,
        /// Height.
        height: u32,
    },
    /// The largest box of an aspect ratio ("4:5"), anchored at a gravity.
    Aspect {
        /// "W:H", both positive integers.
        aspect: String,
        /// Where the box sits (centre when absent).
        #[serde(default)]
        gravity: Gravity,
    },
}

/// How the (cropped) image is fitted to a target size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Fit {
    /// Fill the box exactly, cropping the overflow around the centre.
    Cover,
    /// Fit inside the box and pad to its exact size with white.
    Contain,
    /// Fit inside the box, keeping the aspect ratio (no padding).
    #[default]
    Inside,
    /// Stretch to the box, ignoring the aspect ratio.
    Fill,
}

/// A target size and fit mode; one side alone keeps the aspect ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resize {
    /// Target width in pixels.
    #[serde(
        default,
        deserialize_with = "crate::domain::fields::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub width: Option<u32>,
    /// Target height in pixels.
    #[serde(
        default,
        deserialize_with = "crate::domain::fields::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub height: Option<u32>,
    /// Fit mode.
    #[serde(default)]
    pub fit: Fit,
}

/// Where a spec samples the upright source and what size it produces.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    /// The upright source area to resample.
    pub source: Rect,
    /// The resampled size.
    pub resized: (u32, u32),
    /// For `contain`: the padded canvas size and where the resampled image sits on it.
    pub canvas: Option<Canvas>,
}

/// A white canvas the resampled image is pasted onto.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Canvas {
    /// Canvas width.
    pub width: u32,
    /// Canvas height.
    pub height: u32,
    /// Left offset of the image.
    pub x: u32,
    /// Top offset of the image.
    pub y: u32,
}

/// Horizontal and vertical anchor (0 = left/top, 1 = right/bottom) of a gravity.
pub fn anchor(gravity: Gravity) -> (f64, f64) {
    match gravity {
        Gravity::NorthWest => (0.0, 0.0),
        Gravity::North => (0.5, 0.0),
        Gravity::NorthEast => (1.0, 0.0),
        Gravity::West => (0.0, 0.5),
        Gravity::Center => (0.5, 0.5),
        Gravity::East => (1.0, 0.5),
        Gravity::SouthWest => (0.0, 1.0),
        Gravity::South => (0.5, 1.0),
        Gravity::SouthEast => (1.0, 1.0),
    }
}

/// Largest term of an aspect ratio ("999:1" at most): wider ratios are not photographs.
pub const MAX_ASPECT_TERM: u32 = 999;

fn invalid(message: impl Into<String>) -> Error {
    Error::invalid(codes::INVALID_SPEC, message)
}

fn parse_aspect(aspect: &str) -> Result<f64> {
    let bad = || {
        invalid(format!(
            "aspect '{aspect}' is not of the form W:H, e.g. 4:5"
        ))
    };
    let (w, h) = aspect.split_once(':').ok_or_else(bad)?;
    let w: u32 = w.trim().parse().map_err(|_| bad())?;
    let h: u32 = h.trim().parse().map_err(|_| bad())?;
    if !(1..=MAX_ASPECT_TERM).contains(&w) || !(1..=MAX_ASPECT_TERM).contains(&h) {
        return Err(bad());
    }
    Ok(f64::from(w) / f64::from(h))
}

/// The largest `aspect` box inside `area`, placed by `anchor`.
fn aspect_box(area: Rect, aspect: f64, (fx, fy): (f64, f64)) -> Rect {
    let (w, h) = if area.width / area.height > aspect {
        (area.height * aspect, area.height)
    } else {
        (area.width, area.width / aspect)
    };
    Rect {
        x: area.x + (area.width - w) * fx,
        y: area.y + (area.height - h) * fy,
        width: w,
        height: h,
    }
}

fn side(v: f64) -> u32 {
    (v.round().max(1.0)).min(f64::from(u32::MAX)) as u32
}

impl DeriveSpec {
    /// The JPEG quality to use.
    pub fn quality(&self) -> u8 {
        self.quality.unwrap_or(82)
    }

    /// Checks what can be checked without the image: quality range, aspect syntax, and
    /// every requested side between 1 and `limits.max_side`. The API answers these 422
    /// before it looks at a photo; [`DeriveSpec::geometry`] checks them again.
    pub fn validate(&self, limits: &Limits) -> Result<()> {
        let max = limits.max_side;
        let too_big = |side: Option<u32>| side.is_some_and(|v| v > max);
        if let Some(q) = self.quality
            && !(1..=100).contains(&q)
        {
            return Err(invalid(format!("quality {q} is not between 1 and 100")));
        }
        match &self.crop {
            Some(Crop::Box { width, height, .. }) if *width == 0 || *height == 0 => {
                return Err(invalid("a crop box needs a positive width and height"));
            }
            Some(Crop::Box { width, height, .. }) if too_big(Some(*width.max(height))) => {
                return Err(invalid(format!(
                    "a crop box side may be at most {max} pixels"
                )));
            }
            Some(Crop::Aspect { aspect, .. }) => {
                parse_aspect(aspect)?;
            }
            _ => {}
        }
        if let Some(r) = self.resize {
            if r.width.is_none() && r.height.is_none() {
                return Err(invalid("resize needs a width, a height or both"));
            }
            if r.width == Some(0) || r.height == Some(0) {
                return Err(invalid("resize sizes must be positive"));
            }
            if too_big(r.width) || too_big(r.height) {
                return Err(invalid(format!("resize sides may be at most {max} pixels")));
            }
        }
        Ok(())
    }

    /// Where to sample the upright `width × height` source and what size to produce.
    pub fn geometry(&self, width: u32, height: u32, limits: &Limits) -> Result<Geometry> {
        self.validate(limits)?;
        let full = Rect::full(width, height);
        let mut source = match &self.crop {
            None => full,
            Some(Crop::Box {
                x,
                y,
                width: cw,
                height: ch,
            }) => {
                if u64::from(*x) + u64::from(*cw) > u64::from(width)
                    || u64::from(*y) + u64::from(*ch) > u64::from(height)
                {
                    return Err(invalid(format!(
                        "the crop box {cw} × {ch} at ({x}, {y}) is outside the {width} × {height} image"
                    )));
                }
                Rect {
                    x: f64::from(*x),
                    y: f64::from(*y),
                    width: f64::from(*cw),
                    height: f64::from(*ch),
                }
            }
            Some(Crop::Aspect { aspect, gravity }) => {
                aspect_box(full, parse_aspect(aspect)?, anchor(*gravity))
            }
        };
        let mut canvas = None;
        let resized = match self.resize {
            None => (side(source.width), side(source.height)),
            Some(Resize {
                width: Some(w),
                height: Some(h),
                fit,
            }) => {
                let (tw, th) = (f64::from(w), f64::from(h));
                match fit {
                    Fit::Fill => (w, h),
                    Fit::Cover => {
                        source = aspect_box(source, tw / th, (0.5, 0.5));
                        (w, h)
                    }
                    Fit::Inside | Fit::Contain => {
                        let scale = (tw / source.width).min(th / source.height);
                        let inner = (
                            side(source.width * scale).min(w),
                            side(source.height * scale).min(h),
                        );
                        if fit == Fit::Contain {
                            canvas = Some(Canvas {
                                width: w,
                                height: h,
                                x: (w - inner.0) / 2,
                                y: (h - inner.1) / 2,
                            });
                        }
                        inner
                    }
                }
            }
            Some(Resize {
                width: Some(w),
                height: None,
                ..
            }) => (w, side(f64::from(w) * source.height / source.width)),
            Some(Resize {
                width: None,
                height: Some(h),
                ..
            }) => (side(f64::from(h) * source.width / source.height), h),
            Some(Resize { .. }) => return Err(invalid("resize needs a width, a height or both")),
        };
        let (ow, oh) = canvas.map_or(resized, |c| (c.width, c.height));
        if ow.max(oh) > limits.max_side || u64::from(ow) * u64::from(oh) > limits.max_pixels {
            return Err(invalid(format!(
                "the output would be {ow} × {oh}, past the size limits"
            )));
        }
        Ok(Geometry {
            source,
            resized,
            canvas,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> DeriveSpec {
        serde_json::from_str(json).expect("spec parses")
    }

    fn geometry(json: &str, w: u32, h: u32) -> Result<Geometry> {
        spec(json).geometry(w, h, &Limits::default())
    }

    #[test]
    fn aspect_crop_takes_the_largest_box_at_its_gravity() {
        let g = geometry(
            r#"{"crop": {"aspect": "4:5", "gravity": "north-east"}}"#,
            6000,
            4000,
        )
        .expect("geometry");
        assert_eq!(g.source.width, 3200.0);
        assert_eq!(g.source.height, 4000.0);
        assert_eq!(g.source.x, 2800.0);
        assert_eq!(g.resized, (3200, 4000));
    }

    #[test]
    fn box_crop_outside_the_image_is_invalid() {
        let err = geometry(
            r#"{"crop": {"x": 10, "y": 0, "width": 100, "height": 10}}"#,
            100,
            100,
        )
        .expect_err("invalid");
        assert_eq!(err.code(), codes::INVALID_SPEC);
    }

    #[test]
    fn fit_modes_produce_their_sizes() {
        let fit = |f: &str| {
            geometry(
                &format!(r#"{{"resize": {{"width": 400, "height": 400, "fit": "{f}"}}}}"#),
                6000,
                4000,
            )
            .expect("geometry")
        };
        assert_eq!(fit("fill").resized, (400, 400));
        assert_eq!(fit("inside").resized, (400, 267));
        let cover = fit("cover");
        assert_eq!(cover.resized, (400, 400));
        assert_eq!((cover.source.width, cover.source.x), (4000.0, 1000.0));
        let contain = fit("contain");
        assert_eq!(contain.resized, (400, 267));
        assert_eq!(
            contain.canvas,
            Some(Canvas {
                width: 400,
                height: 400,
                x: 0,
                y: 66
            })
        );
    }

    #[test]
    fn one_side_keeps_the_aspect_ratio() {
        let g = geometry(r#"{"resize": {"width": 300, "fit": "cover"}}"#, 6000, 4000)
            .expect("geometry");
        assert_eq!(g.resized, (300, 200));
    }

    #[test]
    fn bad_specs_are_refused_with_invalid_spec() {
        for json in [
            r#"{"quality": 0}"#,
            r#"{"quality": 101}"#,
            r#"{"crop": {"aspect": "4-5"}}"#,
            r#"{"crop": {"aspect": "0:5"}}"#,
            r#"{"resize": {"fit": "cover"}}"#,
            r#"{"resize": {"width": 100000, "height": 100000, "fit": "fill"}}"#,
            r#"{"resize": {"width": 20001, "fit": "inside"}}"#,
            r#"{"crop": {"x": 0, "y": 0, "width": 20001, "height": 5}}"#,
            r#"{"crop": {"aspect": "1000:1"}}"#,
        ] {
            let err = geometry(json, 100, 100).expect_err(json);
            assert_eq!(err.code(), codes::INVALID_SPEC, "{json}");
        }
        assert!(serde_json::from_str::<DeriveSpec>(r#"{"colour": "red"}"#).is_err());
    }
}
