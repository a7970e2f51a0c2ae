//! The order of work for one photo: header, plan every output, decode once, resample,
//! turn upright, watermark, encode.

use super::encode::{OutputMetadata, encode};
use super::resize::{Rect, RgbImage, fit_long_side, resize};
use super::spec::Canvas;
use super::{
    Derived, EncodedVariant, OutputFormat, PipelineOptions, VariantName, decode, header, metadata,
    sniff,
};
use crate::domain::PhotoMetadata;
use crate::error::Result;

/// One output, planned on the stored (not yet upright) image at full resolution.
struct Job {
    name: VariantName,
    format: OutputFormat,
    quality: u8,
    /// Area of the stored image to resample.
    source: Rect,
    /// Resampled size, stored orientation.
    size: (u32, u32),
    /// Padding for `contain`, upright.
    canvas: Option<Canvas>,
    watermark: bool,
}

impl Job {
    /// The fraction of the source resolution this output needs.
    fn scale_needed(&self) -> f64 {
        (f64::from(self.size.0) / self.source.width)
            .max(f64::from(self.size.1) / self.source.height)
    }
}

pub(super) fn run(bytes: &[u8], options: &PipelineOptions) -> Result<Derived> {
    let limits = &options.limits;
    limits.check_bytes(bytes.len())?;
    let format = sniff::sniff(bytes)?;
    let info = header::read(format, bytes, limits)?;
    let exif = metadata::read(info.exif.as_deref());
    let orientation = exif.orientation;
    let (upright_w, upright_h) = orientation.upright_size(info.width, info.height);
    let full = Rect::full(info.width, info.height);

    let mut jobs = Vec::new();
    for (name, variant) in [
        (VariantName::Thumb, options.thumb),
        (VariantName::Web, options.web),
    ] {
        if let Some(v) = variant {
            let (w, h) = fit_long_side(upright_w, upright_h, v.long_side);
            jobs.push(Job {
                name,
                format: v.format,
                quality: v.quality,
                source: full,
                size: orientation.stored_size(w, h),
                canvas: None,
                watermark: true,
            });
        }
    }
    if let Some(spec) = &options.custom {
        let g = spec.geometry(upright_w, upright_h, limits)?;
        jobs.push(Job {
            name: VariantName::Custom,
            format: spec.format.unwrap_or_default(),
            quality: spec.quality(),
            source: orientation.upright_rect_to_stored(
                g.source,
                f64::from(info.width),
                f64::from(info.height),
            ),
            size: orientation.stored_size(g.resized.0, g.resized.1),
            canvas: g.canvas,
            watermark: spec.watermark,
        });
    }

    let scale = jobs
        .iter()
        .map(Job::scale_needed)
        .fold(0.0, f64::max)
        .min(1.0);
    let decoded = decode::decode(format, bytes, &info, limits, scale)?;
    let stored = resample_all(&decoded, &jobs, info.width, info.height)?;
    drop(decoded); // the largest buffer; encoding needs none of it

    let kept_exif = metadata::output_exif(&exif);
    let out_meta = OutputMetadata {
        exif: Some(&kept_exif),
        icc: info.icc.as_deref(),
    };
    let mut variants = Vec::with_capacity(jobs.len());
    for (job, pixels) in jobs.iter().zip(stored) {
        let mut upright = orientation.apply(pixels);
        if let Some(canvas) = job.canvas {
            upright = pad(&upright, canvas);
        }
        if job.watermark
            && let Some(mark) = &options.watermark
        {
            mark.apply(&mut upright)?;
        }
        let bytes = encode(&upright, job.format, job.quality, out_meta)?;
        variants.push(EncodedVariant {
            name: job.name,
            format: job.format,
            width: upright.width,
            height: upright.height,
            bytes,
        });
    }
    tracing::debug!(
        format = format.as_str(),
        width = info.width,
        height = info.height,
        orientation = orientation.tag(),
        scans = info.scans,
        decode_scale = scale,
        "derived"
    );
    Ok(Derived {
        metadata: PhotoMetadata {
            width: upright_w,
            height: upright_h,
            orientation: orientation.tag(),
            taken_at: exif.taken_at,
            camera: exif.camera.clone(),
            format: format.as_str().to_string(),
            variants: variants
                .iter()
                .map(|v| v.name.as_str().to_string())
                .collect(),
            crc32: None,
        },
        variants,
        notes: info.notes,
    })
}

/// Resamples every job from the decode; the thumb comes from the web copy when there is
/// one (a 2048 → 400 pass costs a fraction of a full-decode → 400 pass, at the same quality).
fn resample_all(
    decoded: &RgbImage,
    jobs: &[Job],
    width: u32,
    height: u32,
) -> Result<Vec<RgbImage>> {
    let kx = f64::from(decoded.width) / f64::from(width);
    let ky = f64::from(decoded.height) / f64::from(height);
    let full_decoded = Rect::full(decoded.width, decoded.height);
    let web = jobs
        .iter()
        .find(|j| j.name == VariantName::Web)
        .map(|j| resize(decoded, full_decoded, j.size.0, j.size.1))
        .transpose()?;
    let mut out = Vec::with_capacity(jobs.len());
    for job in jobs {
        let pixels = match (job.name, &web) {
            (VariantName::Web, Some(web)) => web.clone(),
            (VariantName::Thumb, Some(web)) if web.width >= job.size.0 => resize(
                web,
                Rect::full(web.width, web.height),
                job.size.0,
                job.size.1,
            )?,
            _ => resize(decoded, job.source.scaled(kx, ky), job.size.0, job.size.1)?,
        };
        out.push(pixels);
    }
    Ok(out)
}

/// The image centred on a white canvas (`contain`).
fn pad(image: &RgbImage, canvas: Canvas) -> RgbImage {
    let (cw, ch) = (canvas.width as usize, canvas.height as usize);
    let mut data = vec![255u8; cw * ch * 3];
    let (iw, ih) = (image.width as usize, image.height as usize);
    let (x0, y0) = (canvas.x as usize, canvas.y as usize);
    for y in 0..ih.min(ch.saturating_sub(y0)) {
        let row = &image.data[y * iw * 3..(y + 1) * iw * 3];
        let n = iw.min(cw.saturating_sub(x0)) * 3;
        let at = ((y0 + y) * cw + x0) * 3;
        data[at..at + n].copy_from_slice(&row[..n]);
    }
    RgbImage {
        width: canvas.width,
        height: canvas.height,
        data,
    }
}
