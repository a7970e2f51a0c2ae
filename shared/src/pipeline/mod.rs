//! The image pipeline: bytes of an upload in, metadata and encoded variants out.
//!
//! One call, [`derive`], does the whole job for one photo, in this order, so that a hostile
//! file costs almost nothing before it is refused:
//!
//! 1. [`sniff`] the format from the magic bytes (never from the name or declared type);
//! 2. read the [`header`] only, and refuse past the [`Limits`] before any pixel is decoded;
//! 3. [`decode`] once, with explicit limits, at the smallest JPEG DCT scale that still
//!    covers every requested output;
//! 4. [`resize`] every variant from that one decode (the thumb from the web-sized copy);
//! 5. [`orient`] upright (EXIF orientation, all 8 values) and reset the tag;
//! 6. [`watermark`] the viewer variants, when the event has one;
//! 7. [`encode`] with only the [`metadata`] worth keeping (artist, copyright, the source
//!    colour profile) — never GPS or other private EXIF.
//!
//! Every permanent refusal is a [`crate::Error`] with a stable code (see [`codes`]).

pub mod decode;
pub mod encode;
pub mod header;
pub mod metadata;
pub mod orient;
pub mod resize;
pub mod sniff;
pub mod spec;
pub mod watermark;

mod markup;
mod plan;

use serde::{Deserialize, Serialize};

use crate::domain::PhotoMetadata;
use crate::error::Result;

pub use header::Limits;
pub use sniff::SourceFormat;
pub use spec::DeriveSpec;
pub use watermark::{PreparedWatermark, check_watermark_image};

/// The stable error codes the pipeline refuses input with (`Error::code()`).
pub mod codes {
    /// Not an image at all (empty, HTML, text, unknown magic bytes).
    pub const NOT_AN_IMAGE: &str = "not_an_image";
    /// An image, but in a format we do not accept (GIF, TIFF, SVG, HEIC, CMYK JPEG, …).
    pub const UNSUPPORTED_FORMAT: &str = "unsupported_format";
    /// More pixels, or a longer side, than the limits allow.
    pub const TOO_MANY_PIXELS: &str = "too_many_pixels";
    /// More bytes than the limits allow.
    pub const TOO_LARGE: &str = "too_large";
    /// A progressive JPEG with more scans than any encoder writes (a decoding-time bomb).
    pub const TOO_MANY_SCANS: &str = "too_many_scans";
    /// Truncated or otherwise undecodable.
    pub const CORRUPT_IMAGE: &str = "corrupt_image";
    /// A custom derivative spec that cannot be applied to this image.
    pub const INVALID_SPEC: &str = "invalid_spec";
    /// A watermark image that is not a usable PNG, or is past the watermark bounds.
    pub const INVALID_WATERMARK: &str = "invalid_watermark";
    /// HTML, SVG, script or XML (other than XMP) in a metadata segment or chunk.
    pub const MARKUP_IN_METADATA: &str = "markup_in_metadata";
    /// A [`super::Note`]: the colour profile was too large to carry into the outputs.
    pub const ICC_PROFILE_DROPPED: &str = "icc_profile_dropped";
}

/// Something [`derive`] left out while still deriving the photo, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// Stable snake_case identifier (see [`codes`]).
    pub code: &'static str,
    /// A sentence for the photographer.
    pub message: String,
}

/// The encoding of an output variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// Baseline JPEG, 4:2:0 chroma subsampling (as libvips writes by default).
    #[default]
    Jpeg,
    /// Lossless WebP (the pure-Rust encoder has no lossy mode; quality is ignored).
    Webp,
    /// PNG (lossless; quality is ignored).
    Png,
}

impl OutputFormat {
    /// The file extension without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Webp => "webp",
            Self::Png => "png",
        }
    }

    /// The media type for `Content-Type`.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
            Self::Png => "image/png",
        }
    }
}

/// How one standard variant (thumb or web) is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariantOptions {
    /// Longest side of the output in pixels; smaller sources are never upscaled.
    pub long_side: u32,
    /// Output encoding.
    pub format: OutputFormat,
    /// JPEG quality 1–100.
    pub quality: u8,
}

impl VariantOptions {
    /// The default thumbnail: 400 px long side, JPEG Q82.
    pub const THUMB: Self = Self {
        long_side: 400,
        format: OutputFormat::Jpeg,
        quality: 82,
    };
    /// The default web copy: 2048 px long side, JPEG Q82.
    pub const WEB: Self = Self {
        long_side: 2048,
        format: OutputFormat::Jpeg,
        quality: 82,
    };
}

/// Everything [`derive`] needs to know besides the bytes.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// Refusal thresholds, checked on the header before decoding.
    pub limits: Limits,
    /// The thumbnail, or `None` to skip it.
    pub thumb: Option<VariantOptions>,
    /// The web copy, or `None` to skip it.
    pub web: Option<VariantOptions>,
    /// A custom derivative (API `spec`), written as variant `custom`.
    pub custom: Option<DeriveSpec>,
    /// The event's watermark, applied to `thumb` and `web` (and `custom` when its spec asks).
    pub watermark: Option<PreparedWatermark>,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            thumb: Some(VariantOptions::THUMB),
            web: Some(VariantOptions::WEB),
            custom: None,
            watermark: None,
        }
    }
}

/// Which output a variant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VariantName {
    /// The grid thumbnail.
    Thumb,
    /// The viewer copy.
    Web,
    /// A custom derivative made from a [`DeriveSpec`].
    Custom,
}

impl VariantName {
    /// The name used in object keys and `meta.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Thumb => "thumb",
            Self::Web => "web",
            Self::Custom => "custom",
        }
    }
}

/// One encoded output.
#[derive(Clone, PartialEq, Eq)]
pub struct EncodedVariant {
    /// Which output.
    pub name: VariantName,
    /// Its encoding.
    pub format: OutputFormat,
    /// Upright width in pixels.
    pub width: u32,
    /// Upright height in pixels.
    pub height: u32,
    /// The encoded file.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for EncodedVariant {
    // The bytes would drown any log line they appear in.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncodedVariant")
            .field("name", &self.name)
            .field("format", &self.format)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// The result of [`derive`]: what was learned and what was made.
#[derive(Debug, Clone, PartialEq)]
pub struct Derived {
    /// Upright size, original orientation tag, capture time, camera, format, variant names.
    pub metadata: PhotoMetadata,
    /// The encoded outputs, in the order thumb, web, custom (those requested).
    pub variants: Vec<EncodedVariant>,
    /// What was left out of the outputs, and why (`picpass derive` writes them to
    /// `meta.json` as `notes`).
    pub notes: Vec<Note>,
}

/// Derives every requested variant of one photo from a single decode.
///
/// Permanent refusals (see [`codes`]) come back as `Unsupported`, `TooLarge` or `Invalid`
/// errors; nothing here is transient, so a queue consumer should record and drop them.
pub fn derive(bytes: &[u8], options: &PipelineOptions) -> Result<Derived> {
    plan::run(bytes, options)
}
