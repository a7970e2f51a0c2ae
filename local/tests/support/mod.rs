//! Generated fixtures and helpers for the `picpass derive` tests: reference images, EXIF and
//! TIFF blocks written by hand, hostile files, and a runner for the real binary.

#![allow(dead_code)]

use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use exif::{Context, Tag};
use turbojpeg::{Compressor, PixelFormat, Subsamp};

/// The wallpaper packages the real-photo tests read (`scripts/test` installs them).
pub const WALLPAPER_PACKAGES: &str = "lomiri-wallpapers-16.04 lomiri-wallpapers-20.04";

/// A real photo from the Debian wallpaper packages, or a failure naming the packages.
pub fn real_photo(name: &str) -> PathBuf {
    let path = Path::new("/usr/share/backgrounds").join(name);
    assert!(
        path.is_file(),
        "{} is missing: install the Debian packages {WALLPAPER_PACKAGES} \
         (sudo apt-get install -y {WALLPAPER_PACKAGES}; scripts/test does this)",
        path.display()
    );
    path
}

/// Packed RGB pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct Rgb {
    pub width: usize,
    pub height: usize,
    pub data: Vec<u8>,
}

impl Rgb {
    pub fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        let at = (y * self.width + x) * 3;
        [self.data[at], self.data[at + 1], self.data[at + 2]]
    }
}

pub const RED: [u8; 3] = [220, 30, 30];
pub const GREEN: [u8; 3] = [30, 200, 60];
pub const BLUE: [u8; 3] = [40, 60, 220];
pub const YELLOW: [u8; 3] = [240, 220, 40];

/// An upright reference: red, green / blue, yellow quadrants, so any flip or turn shows.
pub fn quadrants(width: usize, height: usize) -> Rgb {
    let mut data = Vec::with_capacity(width * height * 3);
    for y in 0..height {
        for x in 0..width {
            let colour = match (x < width / 2, y < height / 2) {
                (true, true) => RED,
                (false, true) => GREEN,
                (true, false) => BLUE,
                (false, false) => YELLOW,
            };
            data.extend(colour);
        }
    }
    Rgb {
        width,
        height,
        data,
    }
}

/// How a camera stores `upright` for EXIF orientation `tag`, derived from the tag's
/// definition (CIPA DC-008: which visual side the 0th row and the 0th column lie on),
/// independently of the pipeline's own transform code.
pub fn stored_for_orientation(upright: &Rgb, tag: u8) -> Rgb {
    #[derive(Clone, Copy)]
    enum Side {
        Top,
        Bottom,
        Left,
        Right,
    }
    use Side::*;
    let (row_side, col_side) = match tag {
        1 => (Top, Left),
        2 => (Top, Right),
        3 => (Bottom, Right),
        4 => (Bottom, Left),
        5 => (Left, Top),
        6 => (Right, Top),
        7 => (Right, Bottom),
        8 => (Left, Bottom),
        _ => panic!("orientation {tag}"),
    };
    let (uw, uh) = (upright.width, upright.height);
    let (sw, sh) = if tag >= 5 { (uh, uw) } else { (uw, uh) };
    let mut data = Vec::with_capacity(sw * sh * 3);
    for sy in 0..sh {
        for sx in 0..sw {
            let (mut x, mut y) = (0, 0);
            match row_side {
                Top => y = sy,
                Bottom => y = uh - 1 - sy,
                Left => x = sy,
                Right => x = uw - 1 - sy,
            }
            match col_side {
                Left => x = sx,
                Right => x = uw - 1 - sx,
                Top => y = sx,
                Bottom => y = uh - 1 - sx,
            }
            data.extend(upright.pixel(x, y));
        }
    }
    Rgb {
        width: sw,
        height: sh,
        data,
    }
}

/// Encodes RGB as JPEG (4:4:4 so colour edges stay sharp enough to compare).
pub fn jpeg(image: &Rgb, quality: i32, progressive: bool) -> Vec<u8> {
    let mut c = Compressor::new().expect("compressor");
    c.set_quality(quality).expect("quality");
    c.set_subsamp(Subsamp::None).expect("subsamp");
    c.set_progressive(progressive).expect("progressive");
    c.compress_to_vec(turbojpeg::Image {
        pixels: image.data.as_slice(),
        width: image.width,
        pitch: image.width * 3,
        height: image.height,
        format: PixelFormat::RGB,
    })
    .expect("encode")
}

/// Decodes a JPEG to RGB.
pub fn decode_jpeg(bytes: &[u8]) -> Rgb {
    let image = turbojpeg::decompress(bytes, PixelFormat::RGB).expect("output decodes");
    Rgb {
        width: image.width,
        height: image.height,
        data: image.pixels,
    }
}

/// Decodes any output (JPEG, PNG, WebP) to RGB.
pub fn decode_any(bytes: &[u8]) -> Rgb {
    let image = image::load_from_memory(bytes)
        .or_else(|_| {
            Ok::<_, ()>(image::DynamicImage::ImageRgb8(to_buffer(decode_jpeg(
                bytes,
            ))))
        })
        .expect("decodes")
        .into_rgb8();
    Rgb {
        width: image.width() as usize,
        height: image.height() as usize,
        data: image.into_raw(),
    }
}

fn to_buffer(rgb: Rgb) -> image::RgbImage {
    image::RgbImage::from_raw(rgb.width as u32, rgb.height as u32, rgb.data).expect("buffer")
}

/// Mean absolute difference per channel of two same-sized images.
pub fn mean_abs_diff(a: &Rgb, b: &Rgb) -> f64 {
    assert_eq!((a.width, a.height), (b.width, b.height), "sizes differ");
    let sum: u64 = a
        .data
        .iter()
        .zip(&b.data)
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.data.len() as f64
}

pub fn close(a: [u8; 3], b: [u8; 3], tolerance: u8) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= tolerance)
}

/// One TIFF IFD entry: tag, type, count, value bytes (little-endian).
pub struct Entry(pub u16, pub u16, pub u32, pub Vec<u8>);

pub fn ascii(tag: u16, text: &str) -> Entry {
    let mut v = text.as_bytes().to_vec();
    v.push(0);
    Entry(tag, 2, v.len() as u32, v)
}

pub fn short(tag: u16, value: u16) -> Entry {
    Entry(tag, 3, 1, value.to_le_bytes().to_vec())
}

pub fn long(tag: u16, value: u32) -> Entry {
    Entry(tag, 4, 1, value.to_le_bytes().to_vec())
}

pub fn rationals(tag: u16, values: &[(u32, u32)]) -> Entry {
    let bytes = values
        .iter()
        .flat_map(|(n, d)| n.to_le_bytes().into_iter().chain(d.to_le_bytes()))
        .collect();
    Entry(tag, 5, values.len() as u32, bytes)
}

/// Writes one IFD at offset `at` (entries sorted by tag), out-of-line values after it.
fn ifd(entries: &mut [Entry], at: u32) -> Vec<u8> {
    entries.sort_by_key(|e| e.0);
    let table = 2 + 12 * entries.len() as u32 + 4;
    let mut out = (entries.len() as u16).to_le_bytes().to_vec();
    let mut data = Vec::new();
    for Entry(tag, kind, count, value) in entries.iter() {
        out.extend(tag.to_le_bytes());
        out.extend(kind.to_le_bytes());
        out.extend(count.to_le_bytes());
        if value.len() <= 4 {
            let mut inline = value.clone();
            inline.resize(4, 0);
            out.extend(inline);
        } else {
            out.extend((at + table + data.len() as u32).to_le_bytes());
            data.extend(value);
            if data.len() % 2 == 1 {
                data.push(0);
            }
        }
    }
    out.extend(0u32.to_le_bytes());
    out.extend(data);
    out
}

/// A little-endian TIFF structure: IFD0 plus optional Exif and GPS sub-IFDs.
pub fn tiff(mut ifd0: Vec<Entry>, mut exif: Vec<Entry>, mut gps: Vec<Entry>) -> Vec<u8> {
    // Lay out once with placeholder pointers to learn the sizes, then for real.
    let with_pointers = |ifd0: &mut Vec<Entry>, exif_at: u32, gps_at: u32| {
        ifd0.retain(|e| e.0 != 0x8769 && e.0 != 0x8825);
        if exif_at != 0 {
            ifd0.push(long(0x8769, exif_at));
        }
        if gps_at != 0 {
            ifd0.push(long(0x8825, gps_at));
        }
    };
    let has_exif = !exif.is_empty();
    let has_gps = !gps.is_empty();
    with_pointers(&mut ifd0, u32::from(has_exif), u32::from(has_gps));
    let ifd0_len = ifd(&mut ifd0, 8).len() as u32;
    let exif_at = 8 + ifd0_len;
    let exif_bytes = if has_exif {
        ifd(&mut exif, exif_at)
    } else {
        Vec::new()
    };
    let gps_at = exif_at + exif_bytes.len() as u32;
    let gps_bytes = if has_gps {
        ifd(&mut gps, gps_at)
    } else {
        Vec::new()
    };
    with_pointers(
        &mut ifd0,
        if has_exif { exif_at } else { 0 },
        if has_gps { gps_at } else { 0 },
    );
    let mut out = b"II*\0\x08\0\0\0".to_vec();
    out.extend(ifd(&mut ifd0, 8));
    out.extend(exif_bytes);
    out.extend(gps_bytes);
    out
}

/// A camera-like EXIF block: orientation, make/model, artist, copyright, capture time with
/// offset, a body serial number, and a GPS position.
pub fn camera_exif(orientation: u16) -> Vec<u8> {
    tiff(
        vec![
            ascii(0x010F, "Canon"),
            ascii(0x0110, "Canon EOS R5"),
            short(0x0112, orientation),
            ascii(0x013B, "Anna Photo"),
            ascii(0x8298, "(c) 2026 Anna Photo"),
        ],
        vec![
            ascii(0x9003, "2026:06:13 15:04:05"),
            ascii(0x9011, "+02:00"),
            ascii(0xA431, "SERIAL-123456"),
        ],
        vec![
            Entry(0x0000, 1, 4, vec![2, 3, 0, 0]),
            ascii(0x0001, "N"),
            rationals(0x0002, &[(52, 1), (31, 1), (1234, 100)]),
            ascii(0x0003, "E"),
            rationals(0x0004, &[(13, 1), (24, 1), (5678, 100)]),
        ],
    )
}

/// Inserts APP segments right after SOI.
pub fn with_segments(jpeg: &[u8], segments: &[(u8, &[u8])]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    for (marker, payload) in segments {
        out.extend([0xFF, *marker]);
        out.extend(((payload.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(payload);
    }
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A JPEG with `tiff` as its EXIF block.
pub fn with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(tiff);
    with_segments(jpeg, &[(0xE1, &payload)])
}

/// The binary under test: this build's, or `PICPASS_BIN` (used to check that the tests of a
/// fix fail against a build without it, e.g. a release build of main).
pub fn picpass() -> PathBuf {
    std::env::var_os("PICPASS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_picpass")))
}

/// Runs `picpass derive` on `inputs` into `out` with extra arguments.
pub fn derive(inputs: &[&Path], out: &Path, extra: &[&str]) -> (Output, Duration) {
    let mut cmd = Command::new(picpass());
    cmd.arg("derive")
        .args(inputs)
        .arg("--out")
        .arg(out)
        .args(extra);
    let started = Instant::now();
    let output = cmd.output().expect("picpass runs");
    (output, started.elapsed())
}

/// Runs `picpass derive` on one input with the address space capped at `max_mb` (prlimit).
pub fn derive_capped(input: &Path, out: &Path, max_mb: u64) -> (Output, Duration) {
    derive_capped_with(input, out, max_mb, &[])
}

/// [`derive_capped`] with extra arguments.
pub fn derive_capped_with(
    input: &Path,
    out: &Path,
    max_mb: u64,
    extra: &[&str],
) -> (Output, Duration) {
    let mut cmd = Command::new("prlimit");
    cmd.arg(format!("--as={}", max_mb * 1024 * 1024))
        .arg(picpass())
        .arg("derive")
        .arg(input)
        .arg("--out")
        .arg(out)
        .args(extra);
    let started = Instant::now();
    let output = cmd.output().expect("prlimit (util-linux) runs picpass");
    (output, started.elapsed())
}

/// `meta.json` of an input stem.
pub fn meta(out: &Path, stem: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(out.join(stem).join("meta.json")).expect("meta.json");
    serde_json::from_str(&text).expect("meta.json is JSON")
}

/// CRC-32 (IEEE), for PNG chunks.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG chunk with its CRC.
pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend(kind);
    out.extend(data);
    let crc = crc32(&out[4..]);
    out.extend(crc.to_be_bytes());
    out
}

/// `png` with `chunk` inserted right after IHDR (where iCCP and text chunks go).
pub fn png_with_chunk(png: &[u8], chunk: &[u8]) -> Vec<u8> {
    let after_ihdr = 8 + 8 + 13 + 4;
    let mut out = png[..after_ihdr].to_vec();
    out.extend_from_slice(chunk);
    out.extend_from_slice(&png[after_ihdr..]);
    out
}

/// Encodes RGB as lossless WebP.
pub fn webp(image: &Rgb) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_raw(image.width as u32, image.height as u32, image.data.clone())
        .expect("buffer")
        .write_to(&mut out, image::ImageFormat::WebP)
        .expect("webp");
    out.into_inner()
}

/// A RIFF chunk: fourcc, little-endian size (as declared, which may lie), data, padding.
pub fn riff_chunk(kind: &[u8; 4], declared: u32, data: &[u8]) -> Vec<u8> {
    let mut out = kind.to_vec();
    out.extend(declared.to_le_bytes());
    out.extend(data);
    if data.len() % 2 == 1 {
        out.push(0);
    }
    out
}

/// An extended WebP (VP8X with the EXIF flag) around the VP8L chunk of `simple`, followed
/// by `extra` chunks; the RIFF size counts what is really there.
pub fn extended_webp(simple: &[u8], width: u32, height: u32, extra: &[Vec<u8>]) -> Vec<u8> {
    let mut vp8x = vec![0x08, 0, 0, 0]; // EXIF present
    vp8x.extend(&(width - 1).to_le_bytes()[..3]);
    vp8x.extend(&(height - 1).to_le_bytes()[..3]);
    let mut body = b"WEBP".to_vec();
    body.extend(riff_chunk(b"VP8X", 10, &vp8x));
    body.extend_from_slice(&simple[12..]); // the VP8L chunk
    for chunk in extra {
        body.extend(chunk);
    }
    let mut out = b"RIFF".to_vec();
    out.extend((body.len() as u32).to_le_bytes());
    out.extend(body);
    out
}

/// Encodes RGBA as PNG.
pub fn png_rgba(width: u32, height: u32, rgba: Vec<u8>) -> Vec<u8> {
    let image = image::RgbaImage::from_raw(width, height, rgba).expect("buffer");
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

// --- reading what `picpass derive` wrote ---------------------------------------------

/// Writes `bytes` as `dir/name`.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).expect("write fixture");
    path
}

/// The output file `file` of `stem` under `out`.
pub fn read(out: &Path, stem: &str, file: &str) -> Vec<u8> {
    fs::read(out.join(stem).join(file)).unwrap_or_else(|e| panic!("{stem}/{file}: {e}"))
}

/// Every EXIF field of an output (JPEG, PNG or WebP); an output without EXIF has none.
pub fn exif_fields(bytes: &[u8]) -> Vec<(Tag, String)> {
    match exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) {
        Ok(exif) => exif
            .fields()
            .map(|f| (f.tag, f.display_value().to_string()))
            .collect(),
        Err(exif::Error::NotFound(_)) => Vec::new(),
        Err(e) => panic!("output EXIF does not parse: {e}"),
    }
}

pub fn assert_only_kept_exif(label: &str, bytes: &[u8]) {
    let fields = exif_fields(bytes);
    for (tag, value) in &fields {
        assert_ne!(
            tag.context(),
            Context::Gps,
            "{label}: GPS field {tag} = {value}"
        );
        assert!(
            [Tag::Orientation, Tag::Artist, Tag::Copyright].contains(tag),
            "{label}: private field {tag} = {value} was copied"
        );
        if *tag == Tag::Orientation {
            assert_eq!(
                value, "row 0 at top and column 0 at left",
                "{label}: orientation reset"
            );
        }
    }
    let text = String::from_utf8_lossy(bytes);
    assert!(
        !text.contains("SERIAL-123456"),
        "{label}: serial number leaked"
    );
}
