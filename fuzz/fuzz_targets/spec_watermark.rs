//! Fuzzes what a photographer controls besides the photo: every `DeriveSpec` field, the
//! variant sizes, and the watermark (text, or a PNG of arbitrary dimensions — including
//! slivers like 1 × 4096 — or arbitrary bytes offered as a PNG), applied to a small fixed
//! photo. Also checks that whatever is derived stays within the limits.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use shared::domain::Gravity;
use shared::pipeline::encode::{encode, OutputMetadata};
use shared::pipeline::resize::RgbImage;
use shared::pipeline::spec::{Crop, Fit, Resize};
use shared::pipeline::{
    check_watermark_image, derive, DeriveSpec, Limits, OutputFormat, PipelineOptions,
    PreparedWatermark, VariantOptions,
};

const GRAVITIES: [Gravity; 9] = [
    Gravity::NorthWest,
    Gravity::North,
    Gravity::NorthEast,
    Gravity::West,
    Gravity::Center,
    Gravity::East,
    Gravity::SouthWest,
    Gravity::South,
    Gravity::SouthEast,
];
const FITS: [Fit; 4] = [Fit::Cover, Fit::Contain, Fit::Inside, Fit::Fill];
const FORMATS: [OutputFormat; 3] = [OutputFormat::Jpeg, OutputFormat::Webp, OutputFormat::Png];

#[derive(Debug, Arbitrary)]
enum CropIn {
    Box { x: u32, y: u32, width: u32, height: u32 },
    Aspect { w: u16, h: u16, gravity: u8 },
    Text(String),
}

#[derive(Debug, Arbitrary)]
enum MarkIn {
    None,
    Text(String),
    /// A generated PNG: width and height up to 4,200 (past the 4,096 limit), one colour.
    Image { width: u16, height: u16, rgba: [u8; 4] },
    /// Arbitrary bytes offered as the watermark PNG.
    Bytes(Vec<u8>),
}

#[derive(Debug, Arbitrary)]
struct Input {
    crop: Option<CropIn>,
    resize: Option<(Option<u32>, Option<u32>, u8)>,
    format: Option<u8>,
    quality: Option<u8>,
    watermark_custom: bool,
    thumb: u16,
    web: u16,
    mark: MarkIn,
    position: u8,
    opacity: f32,
    scale: f32,
}

/// A 96 × 64 gradient JPEG, encoded once.
fn photo() -> &'static [u8] {
    static PHOTO: OnceLock<Vec<u8>> = OnceLock::new();
    PHOTO.get_or_init(|| {
        let (w, h) = (96u32, 64u32);
        let data = (0..w * h)
            .flat_map(|i| [(i % w * 2) as u8, (i / w * 3) as u8, 128])
            .collect();
        let image = RgbImage { width: w, height: h, data };
        encode(&image, OutputFormat::Jpeg, 90, OutputMetadata::default()).unwrap_or_default()
    })
}

fn mark_png(width: u16, height: u16, rgba: [u8; 4]) -> Vec<u8> {
    let width = u32::from(width % 4200) + 1;
    // Bounded work per execution: past 2 MP the height gives way (slivers stay slivers).
    let height = (u32::from(height % 4200) + 1).min((1 << 21) / width).max(1);
    let data = [rgba[0], rgba[1], rgba[2]].repeat((width * height) as usize);
    let image = RgbImage { width, height, data };
    encode(&image, OutputFormat::Png, 90, OutputMetadata::default()).unwrap_or_default()
}

fuzz_target!(|input: Input| {
    let limits = Limits {
        max_pixels: 2_000_000,
        max_side: 4096,
        ..Limits::default()
    };
    let crop = input.crop.map(|c| match c {
        CropIn::Box { x, y, width, height } => Crop::Box { x, y, width, height },
        CropIn::Aspect { w, h, gravity } => Crop::Aspect {
            aspect: format!("{w}:{h}"),
            gravity: GRAVITIES[usize::from(gravity) % 9],
        },
        CropIn::Text(aspect) => Crop::Aspect { aspect, gravity: Gravity::Center },
    });
    let spec = DeriveSpec {
        crop,
        resize: input.resize.map(|(width, height, fit)| Resize {
            width,
            height,
            fit: FITS[usize::from(fit) % 4],
        }),
        format: input.format.map(|f| FORMATS[usize::from(f) % 3]),
        quality: input.quality,
        watermark: input.watermark_custom,
    };
    let position = GRAVITIES[usize::from(input.position) % 9];
    let watermark = match input.mark {
        MarkIn::None => None,
        MarkIn::Text(text) => {
            PreparedWatermark::text(&text, position, input.opacity, input.scale).ok()
        }
        MarkIn::Image { width, height, rgba } => {
            let png = mark_png(width, height, rgba);
            let _ = check_watermark_image(&png);
            PreparedWatermark::image(&png, position, input.opacity, input.scale).ok()
        }
        MarkIn::Bytes(bytes) => {
            let _ = check_watermark_image(&bytes);
            PreparedWatermark::image(&bytes, position, input.opacity, input.scale).ok()
        }
    };
    let options = PipelineOptions {
        limits,
        thumb: Some(VariantOptions { long_side: u32::from(input.thumb).max(1), ..VariantOptions::THUMB }),
        web: Some(VariantOptions { long_side: u32::from(input.web).max(1), ..VariantOptions::WEB }),
        custom: Some(spec),
        watermark,
    };
    // Refusals are fine; panics, aborts, hangs and sanitizer reports are findings.
    if let Ok(derived) = derive(photo(), &options) {
        for v in &derived.variants {
            assert!(v.width >= 1 && v.height >= 1, "{v:?}");
            assert!(v.width.max(v.height) <= limits.max_side, "{v:?}");
            assert!(u64::from(v.width) * u64::from(v.height) <= limits.max_pixels, "{v:?}");
        }
    }
});
