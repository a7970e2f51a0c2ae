//! The image work processing needs, as a trait: the pipeline implements it
//! ([`super::PipelineDeriver`]); tests can wrap it to inject failures.

use bytes::Bytes;

use crate::domain::{PhotoMetadata, Watermark};
use crate::error::Result;
use crate::pipeline::DeriveSpec;

/// One encoded derivative, ready to store.
#[derive(Debug, Clone)]
pub struct EncodedVariant {
    /// `thumb`, `web`, …: the last segment of its key.
    pub name: String,
    /// Media type of `bytes`.
    pub content_type: String,
    /// Width in pixels (upright).
    pub width: u32,
    /// Height in pixels (upright).
    pub height: u32,
    /// The encoded image.
    pub bytes: Bytes,
}

/// What deriving an original yields.
#[derive(Debug, Clone)]
pub struct DerivedPhoto {
    /// Upright size, capture time, camera, format, variant names.
    pub metadata: PhotoMetadata,
    /// The variants to store.
    pub variants: Vec<EncodedVariant>,
}

/// The event's watermark with the image it needs, if it is an image watermark.
#[derive(Debug, Clone)]
pub struct WatermarkInput {
    /// Position, opacity, scale, and text or image reference.
    pub settings: Watermark,
    /// The PNG's bytes for an image watermark.
    pub image: Option<Bytes>,
}

/// Turns an original into its variants. CPU-bound: callers run it off the async runtime.
pub trait PhotoDeriver: Send + Sync + std::fmt::Debug {
    /// Derives every standard variant from one decode. Permanent problems with the input
    /// (not an image, too large, corrupt) are errors of `RetryClass::Permanent`.
    fn derive(&self, original: &[u8], watermark: Option<&WatermarkInput>) -> Result<DerivedPhoto>;

    /// Renders one custom derivative (API `spec`) from one decode. A spec that does not fit
    /// the image is `Invalid` (`invalid_spec`).
    fn render(
        &self,
        original: &[u8],
        spec: &DeriveSpec,
        watermark: Option<&WatermarkInput>,
    ) -> Result<EncodedVariant>;
}
