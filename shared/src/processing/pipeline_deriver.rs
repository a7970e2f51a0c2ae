//! The production [`PhotoDeriver`]: the image pipeline with the standard variants.

use bytes::Bytes;

use super::original::{DerivedPhoto, EncodedVariant, PhotoDeriver, WatermarkInput};
use crate::error::Result;
use crate::pipeline::{self, PipelineOptions, PreparedWatermark};

/// Derives `thumb` and `web` with [`pipeline::derive`] and the event's watermark.
#[derive(Debug, Clone, Default)]
pub struct PipelineDeriver {
    /// Limits and variant settings (its `watermark` and `custom` are ignored: the watermark
    /// comes per event, custom derivatives are their own jobs).
    pub options: PipelineOptions,
}

impl PhotoDeriver for PipelineDeriver {
    fn derive(&self, original: &[u8], watermark: Option<&WatermarkInput>) -> Result<DerivedPhoto> {
        let mut options = self.options.clone();
        options.custom = None;
        // A broken watermark fails the photo (permanently, `invalid_watermark`) rather than
        // publishing it unprotected.
        options.watermark = watermark
            .map(|w| PreparedWatermark::from_domain(&w.settings, w.image.as_deref()))
            .transpose()?;
        let derived = pipeline::derive(original, &options)?;
        let variants = derived
            .variants
            .into_iter()
            .map(|v| EncodedVariant {
                name: v.name.as_str().to_owned(),
                content_type: v.format.media_type().to_owned(),
                bytes: Bytes::from(v.bytes),
            })
            .collect();
        Ok(DerivedPhoto {
            metadata: derived.metadata,
            variants,
        })
    }
}
