//! Fuzzes the pipeline entry, `shared::pipeline::derive`, with a custom spec so that cropping,
//! orientation mapping, padding and every encoder run on whatever decodes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::pipeline::{derive, DeriveSpec, Limits, PipelineOptions, VariantOptions};

fuzz_target!(|data: &[u8]| {
    let custom: Option<DeriveSpec> = serde_json::from_str(
        r#"{"crop": {"aspect": "4:5", "gravity": "north-east"},
            "resize": {"width": 48, "height": 48, "fit": "contain"}, "format": "png"}"#,
    )
    .ok();
    let options = PipelineOptions {
        // Smaller limits keep each execution fast; the limit code is the same.
        limits: Limits {
            max_pixels: 4_000_000,
            max_side: 4096,
            ..Limits::default()
        },
        thumb: Some(VariantOptions { long_side: 32, ..VariantOptions::THUMB }),
        web: Some(VariantOptions { long_side: 128, ..VariantOptions::WEB }),
        custom,
        watermark: None,
    };
    // Refusals are fine; panics, aborts, hangs and sanitizer reports are findings.
    let _ = derive(data, &options);
});
