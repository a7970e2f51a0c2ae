//! `picpass derive INPUT... --out DIR [--spec JSON]`: every input in one process, each
//! written to `DIR/<stem>/{thumb,web[,custom]}.<ext>` with a `meta.json`; a refused input
//! gets `meta.json` = `{"error": {"code", "message"}}`, is reported on stderr, and makes the
//! command exit 1 after the rest are done. What a derived input lost on the way (an
//! oversized colour profile) is listed in its `meta.json` as `notes` and printed on stderr.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use serde_json::json;
use shared::Error;
use shared::domain::Gravity;
use shared::pipeline::{
    self, DeriveSpec, Limits, OutputFormat, PipelineOptions, PreparedWatermark, VariantOptions,
};

/// Options of `picpass derive`.
#[derive(Debug, Args)]
pub struct DeriveArgs {
    /// Image files (JPEG, PNG, WebP).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Output directory; each input gets `DIR/<stem>/`.
    #[arg(long)]
    out: PathBuf,
    /// A custom derivative (API.md `spec`) as JSON, or `@file.json`; written as `custom.<ext>`.
    #[arg(long)]
    spec: Option<String>,
    /// Long side of `thumb` in pixels.
    #[arg(long, default_value_t = 400)]
    thumb_size: u32,
    /// Long side of `web` in pixels (never upscaled).
    #[arg(long, default_value_t = 2048)]
    web_size: u32,
    /// Encoding of `thumb` and `web`.
    #[arg(long, value_enum, default_value_t = FormatArg::Jpeg)]
    format: FormatArg,
    /// JPEG quality of `thumb` and `web` (1–100).
    #[arg(long, default_value_t = 82, value_parser = clap::value_parser!(u8).range(1..=100))]
    quality: u8,
    /// Refuse images with more megapixels than this.
    #[arg(long, default_value_t = 100.0)]
    max_megapixels: f64,
    /// Refuse images with a side longer than this many pixels.
    #[arg(long, default_value_t = 20_000)]
    max_side: u32,
    /// Watermark text (set in the bundled font).
    #[arg(long, conflicts_with = "watermark_image")]
    watermark_text: Option<String>,
    /// Watermark image: a PNG, alpha respected.
    #[arg(long)]
    watermark_image: Option<PathBuf>,
    /// Watermark position (center, north, north-east, …, south-west).
    #[arg(long, default_value = "south-east")]
    watermark_position: String,
    /// Watermark opacity, 0–1.
    #[arg(long, default_value_t = 0.5)]
    watermark_opacity: f32,
    /// Watermark width relative to the image width, 0.01–1.
    #[arg(long, default_value_t = 0.25)]
    watermark_scale: f32,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum FormatArg {
    Jpeg,
    Webp,
    Png,
}

impl From<FormatArg> for OutputFormat {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Jpeg => Self::Jpeg,
            FormatArg::Webp => Self::Webp,
            FormatArg::Png => Self::Png,
        }
    }
}

/// Runs the command; exit 0 when every input was derived, 1 when any was refused, 2 on bad usage.
pub fn run(args: &DeriveArgs) -> ExitCode {
    let options = match options(args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("picpass derive: {message}");
            return ExitCode::from(2);
        }
    };
    let mut refused = 0usize;
    for input in &args.inputs {
        let dir = args.out.join(stem(input));
        if let Err(err) = fs::create_dir_all(&dir) {
            eprintln!("picpass derive: cannot create {}: {err}", dir.display());
            return ExitCode::from(2);
        }
        let written = match read_input(input, &options.limits)
            .and_then(|bytes| pipeline::derive(&bytes, &options))
        {
            Ok(derived) => {
                for note in &derived.notes {
                    eprintln!("{}: note: {}: {}", input.display(), note.code, note.message);
                }
                write_derived(&dir, &derived)
            }
            Err(err) => {
                refused += 1;
                eprintln!("{}: {}: {}", input.display(), err.code(), err);
                write_json(
                    &dir.join("meta.json"),
                    &json!({"error": {"code": err.code(), "message": err.to_string()}}),
                )
            }
        };
        if let Err(err) = written {
            eprintln!("picpass derive: cannot write into {}: {err}", dir.display());
            return ExitCode::from(2);
        }
    }
    if refused > 0 {
        eprintln!(
            "picpass derive: {refused} of {} inputs refused",
            args.inputs.len()
        );
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn options(args: &DeriveArgs) -> Result<PipelineOptions, String> {
    let custom = args
        .spec
        .as_deref()
        .map(|text| {
            let text = match text.strip_prefix('@') {
                Some(path) => fs::read_to_string(path)
                    .map_err(|e| format!("cannot read spec file {path}: {e}"))?,
                None => text.to_string(),
            };
            let spec: DeriveSpec = serde_json::from_str(&text)
                .map_err(|e| format!("--spec is not a valid spec: {e}"))?;
            let limits = Limits {
                max_side: args.max_side,
                ..Limits::default()
            };
            spec.validate(&limits).map_err(|e| format!("--spec: {e}"))?;
            Ok::<_, String>(spec)
        })
        .transpose()?;
    let position: Gravity = serde_json::from_value(json!(args.watermark_position))
        .map_err(|_| format!("unknown watermark position '{}'", args.watermark_position))?;
    let watermark = match (&args.watermark_text, &args.watermark_image) {
        (Some(text), _) => Some(
            PreparedWatermark::text(text, position, args.watermark_opacity, args.watermark_scale)
                .map_err(|e| e.to_string())?,
        ),
        (None, Some(path)) => {
            let png = fs::read(path)
                .map_err(|e| format!("cannot read watermark {}: {e}", path.display()))?;
            Some(
                PreparedWatermark::image(
                    &png,
                    position,
                    args.watermark_opacity,
                    args.watermark_scale,
                )
                .map_err(|e| e.to_string())?,
            )
        }
        (None, None) => None,
    };
    if args.max_megapixels.is_nan() || args.max_megapixels <= 0.0 {
        return Err("--max-megapixels must be positive".into());
    }
    let format = OutputFormat::from(args.format);
    Ok(PipelineOptions {
        limits: Limits {
            max_pixels: (args.max_megapixels * 1e6) as u64,
            max_side: args.max_side,
            ..Limits::default()
        },
        thumb: Some(VariantOptions {
            long_side: args.thumb_size.max(1),
            format,
            quality: args.quality,
        }),
        web: Some(VariantOptions {
            long_side: args.web_size.max(1),
            format,
            quality: args.quality,
        }),
        custom,
        watermark,
    })
}

/// Reads an input, refusing one past the byte limit without reading it all.
fn read_input(path: &Path, limits: &Limits) -> shared::Result<Vec<u8>> {
    let unreadable = |e: std::io::Error| {
        Error::not_found("input_unreadable", format!("cannot read the file: {e}"))
    };
    let file = fs::File::open(path).map_err(unreadable)?;
    let mut bytes = Vec::new();
    file.take(limits.max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    limits.check_bytes(bytes.len())?;
    Ok(bytes)
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty() && s != "." && s != "..")
        .unwrap_or_else(|| "input".to_string())
}

fn write_derived(dir: &Path, derived: &pipeline::Derived) -> std::io::Result<()> {
    for variant in &derived.variants {
        let name = format!("{}.{}", variant.name.as_str(), variant.format.extension());
        fs::write(dir.join(name), &variant.bytes)?;
    }
    let mut meta = serde_json::to_value(&derived.metadata).map_err(std::io::Error::other)?;
    if !derived.notes.is_empty()
        && let Some(fields) = meta.as_object_mut()
    {
        fields.insert("notes".into(), json!(derived.notes));
    }
    write_json(&dir.join("meta.json"), &meta)
}

fn write_json(path: &Path, value: &impl serde::Serialize) -> std::io::Result<()> {
    let mut text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    text.push('\n');
    fs::write(path, text)
}
