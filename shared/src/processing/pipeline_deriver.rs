//! The production [`PhotoDeriver`]: the image pipeline with the standard variants.

use bytes::Bytes;

use super::deriver::{DerivedPhoto, EncodedVariant, PhotoDeriver, WatermarkInput};
use crate::error::{Error, Result};
use crate::pipeline::{self, DeriveSpec, PipelineOptions, PreparedWatermark, VariantName};

/// Derives `thumb` and `web` (and custom derivatives) with [`pipeline::derive`] and the
/// event's watermark.
#[derive(Debug, Clone, Default)]
pub struct PipelineDeriver {
    /// Limits and variant settings (its `watermark` and `custom` are ignored: the watermark
    /// comes per event, custom specs per call).
    pub options: PipelineOptions,
}

impl PipelineDeriver {
    /// The default variants with these limits.
    pub fn with_limits(limits: pipeline::Limits) -> Self {
        Self {
            options: PipelineOptions {
                limits,
                ..PipelineOptions::default()
            },
        }
    }
}

// A broken watermark fails the photo (permanently, `invalid_watermark`) rather than
// publishing it unprotected.
fn prepare(watermark: Option<&WatermarkInput>) -> Result<Option<PreparedWatermark>> {
    watermark
        .map(|w| PreparedWatermark::from_domain(&w.settings, w.image.as_deref()))
        .transpose()
}

fn encoded(v: pipeline::EncodedVariant) -> EncodedVariant {
    EncodedVariant {
        name: v.name.as_str().to_owned(),
        content_type: v.format.media_type().to_owned(),
        width: v.width,
        height: v.height,
        bytes: Bytes::from(v.bytes),
    }
}

impl PhotoDeriver for PipelineDeriver {
    fn derive(&self, original: &[u8], watermark: Option<&WatermarkInput>) -> Result<DerivedPhoto> {
        let mut options = self.options.clone();
        options.custom = None;
        options.watermark = prepare(watermark)?;
        let derived = pipeline::derive(original, &options)?;
        for note in &derived.notes {
            tracing::info!(code = note.code, message = %note.message, "derived with a note");
        }
        Ok(DerivedPhoto {
            metadata: derived.metadata,
            variants: derived.variants.into_iter().map(encoded).collect(),
        })
    }

    fn render(
        &self,
        original: &[u8],
        spec: &DeriveSpec,
        watermark: Option<&WatermarkInput>,
    ) -> Result<EncodedVariant> {
        let options = PipelineOptions {
            limits: self.options.limits,
            thumb: None,
            web: None,
            custom: Some(spec.clone()),
            watermark: prepare(watermark)?,
        };
        pipeline::derive(original, &options)?
            .variants
            .into_iter()
            .find(|v| v.name == VariantName::Custom)
            .map(encoded)
            .ok_or_else(|| Error::internal_msg("the pipeline made no custom variant"))
    }
}
