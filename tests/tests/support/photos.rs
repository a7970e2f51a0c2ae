//! Photos for the tests: real ones from the wallpaper packages, and many small distinct
//! ones made quickly (PNGs drawn, JPEGs cut from a real photo).

use std::path::PathBuf;

use super::Upload;

/// Real photos from the wallpaper packages, smallest first.
pub fn wallpapers(count: usize) -> Vec<PathBuf> {
    let mut photos: Vec<(u64, PathBuf)> = std::fs::read_dir("/usr/share/backgrounds")
        .expect("/usr/share/backgrounds (scripts/install-test-deps installs the wallpapers)")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.len(), p)))
        .collect();
    photos.sort();
    assert!(
        photos.len() >= count,
        "need {count} wallpapers, found {}",
        photos.len()
    );
    photos.into_iter().take(count).map(|(_, p)| p).collect()
}

/// `count` distinct small PNG photos (quick to process: for tests about counts, not pixels).
pub fn small_pngs(count: usize) -> Vec<Upload> {
    (0..count)
        .map(|i| {
            let image = image::RgbImage::from_fn(96, 64, |x, y| {
                // Distinct for every i: blue counts to 251, then red shifts.
                image::Rgb([
                    ((x * 2) as u8).wrapping_add((i / 251) as u8 * 7),
                    (y * 3) as u8,
                    (i % 251) as u8,
                ])
            });
            let mut bytes = Vec::new();
            image
                .write_to(
                    &mut std::io::Cursor::new(&mut bytes),
                    image::ImageFormat::Png,
                )
                .expect("encode PNG");
            Upload {
                name: format!("photo-{i:03}.png"),
                bytes,
                content_type: "image/png",
            }
        })
        .collect()
}

/// `count` distinct small JPEGs (96×64) cut from a real photo, the smallest wallpaper
/// decoded at 1/8 scale: tiles at different places, each with its number written into the
/// blue channel of its first row, so no two are alike even where the photo is flat.
pub fn small_jpegs(count: usize) -> Vec<Upload> {
    const TILE: (usize, usize) = (96, 64);
    let source = std::fs::read(&wallpapers(1)[0]).expect("read a wallpaper");
    let mut decompressor = turbojpeg::Decompressor::new().expect("libjpeg-turbo");
    let header = decompressor.read_header(&source).expect("a JPEG header");
    let factor = turbojpeg::ScalingFactor::ONE_EIGHTH;
    decompressor.set_scaling_factor(factor).expect("scale");
    let scaled = header.scaled(factor);
    let (width, height) = (scaled.width, scaled.height);
    assert!(
        width > TILE.0 + 16 && height > TILE.1 + 16,
        "wallpaper too small"
    );
    let mut photo = vec![0u8; width * height * 3];
    decompressor
        .decompress(
            &source,
            turbojpeg::Image {
                pixels: photo.as_mut_slice(),
                width,
                pitch: width * 3,
                height,
                format: turbojpeg::PixelFormat::RGB,
            },
        )
        .expect("decode the wallpaper");
    let (columns, rows) = (width - TILE.0, height - TILE.1);
    (0..count)
        .map(|i| {
            let (left, top) = ((i * 37) % columns, (i * 11 + i / columns) % rows);
            let mut tile = Vec::with_capacity(TILE.0 * TILE.1 * 3);
            for y in top..top + TILE.1 {
                tile.extend_from_slice(
                    &photo[(y * width + left) * 3..(y * width + left + TILE.0) * 3],
                );
            }
            for bit in 0..16 {
                tile[bit * 3 * 4 + 2] = if (i >> bit) & 1 == 1 { 255 } else { 0 };
            }
            let jpeg = turbojpeg::compress(
                turbojpeg::Image {
                    pixels: tile.as_slice(),
                    width: TILE.0,
                    pitch: TILE.0 * 3,
                    height: TILE.1,
                    format: turbojpeg::PixelFormat::RGB,
                },
                85,
                turbojpeg::Subsamp::Sub2x2,
            )
            .expect("encode a JPEG");
            Upload {
                name: format!("tile-{i:04}.jpg"),
                bytes: jpeg.to_vec(),
                content_type: "image/jpeg",
            }
        })
        .collect()
}
