//! `picpass derive` end to end: the real binary on generated fixtures and on real photos
//! from Debian's wallpaper packages (not committed; `scripts/test` installs them).

mod support;

use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::Duration;

use exif::{In, Tag};
use support::*;

#[test]
fn all_eight_orientations_come_out_upright() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let reference = quadrants(800, 600);
    let inputs: Vec<PathBuf> = (1..=8u8)
        .map(|tag| {
            let stored = stored_for_orientation(&reference, tag);
            let bytes = with_exif(&jpeg(&stored, 95, false), &camera_exif(u16::from(tag)));
            write(tmp.path(), &format!("orientation-{tag}.jpg"), &bytes)
        })
        .collect();
    let out = tmp.path().join("out");
    let refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let (output, _) = derive(&refs, &out, &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    for tag in 1..=8u8 {
        let stem = format!("orientation-{tag}");
        let meta = meta(&out, &stem);
        assert_eq!(
            meta["orientation"],
            u64::from(tag),
            "{stem}: original tag recorded"
        );
        assert_eq!(
            (meta["width"].as_u64(), meta["height"].as_u64()),
            (Some(800), Some(600))
        );

        let web = decode_jpeg(&read(&out, &stem, "web.jpg"));
        let diff = mean_abs_diff(&web, &reference);
        assert!(
            diff < 3.0,
            "{stem}: web differs from the upright reference by {diff:.2}"
        );

        let thumb = decode_jpeg(&read(&out, &stem, "thumb.jpg"));
        assert_eq!((thumb.width, thumb.height), (400, 300), "{stem}");
        for (x, y, colour) in [
            (100, 75, RED),
            (300, 75, GREEN),
            (100, 225, BLUE),
            (300, 225, YELLOW),
        ] {
            let got = thumb.pixel(x, y);
            assert!(
                close(got, colour, 12),
                "{stem}: thumb ({x},{y}) is {got:?}, want {colour:?}"
            );
        }
    }
}

#[test]
fn gps_and_private_exif_never_reach_an_output_but_artist_and_copyright_do() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = write(
        tmp.path(),
        "camera.jpg",
        &with_exif(&jpeg(&quadrants(640, 480), 90, false), &camera_exif(1)),
    );
    for (format, ext) in [("jpeg", "jpg"), ("webp", "webp"), ("png", "png")] {
        let out = tmp.path().join(format);
        let spec =
            format!(r#"{{"resize": {{"width": 100, "fit": "inside"}}, "format": "{format}"}}"#);
        let (output, _) = derive(&[&input], &out, &["--format", format, "--spec", &spec]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        for file in [
            format!("thumb.{ext}"),
            format!("web.{ext}"),
            format!("custom.{ext}"),
        ] {
            let bytes = read(&out, "camera", &file);
            assert_only_kept_exif(&file, &bytes);
            let fields = exif_fields(&bytes);
            let artist = fields.iter().find(|(t, _)| *t == Tag::Artist);
            assert_eq!(
                artist.map(|(_, v)| v.as_str()),
                Some("\"Anna Photo\""),
                "{format} {file}: artist kept"
            );
            assert!(
                fields.iter().any(|(t, _)| *t == Tag::Copyright),
                "{format} {file}: copyright kept"
            );
        }
        let meta = meta(&out, "camera");
        assert_eq!(meta["taken_at"], "2026-06-13T13:04:05Z", "offset applied");
        assert_eq!(meta["camera"], "Canon EOS R5", "make not repeated");
        assert_eq!(
            meta["variants"],
            serde_json::json!(["thumb", "web", "custom"])
        );
    }
}

#[test]
fn a_real_photo_with_gps_added_loses_it_in_every_output() {
    let photo = fs::read(real_photo("Picture_1A_by_freespace.jpg")).expect("photo");
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = write(
        tmp.path(),
        "geotagged.jpg",
        &with_exif(&photo, &camera_exif(1)),
    );
    // The fixture really carries GPS.
    let source = exif::Reader::new()
        .read_from_container(&mut Cursor::new(fs::read(&input).expect("read")))
        .expect("source EXIF");
    assert!(source.get_field(Tag::GPSLatitude, In::PRIMARY).is_some());

    let out = tmp.path().join("out");
    let (output, _) = derive(
        &[&input],
        &out,
        &["--spec", r#"{"crop": {"aspect": "1:1"}}"#],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for file in ["thumb.jpg", "web.jpg", "custom.jpg"] {
        assert_only_kept_exif(file, &read(&out, "geotagged", file));
    }
}

#[test]
fn real_photos_derive_to_the_documented_sizes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let baseline = real_photo("Fossa_by_Jasper_Roks.jpg"); // 4096 × 2304, baseline
    let small = real_photo("Picture_1A_by_freespace.jpg"); // 1365 × 1074, progressive
    let out = tmp.path().join("out");
    let (output, _) = derive(&[&baseline, &small], &out, &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let fossa = "Fossa_by_Jasper_Roks";
    assert_eq!(meta(&out, fossa)["format"], "jpeg");
    assert_eq!(
        (
            meta(&out, fossa)["width"].as_u64(),
            meta(&out, fossa)["height"].as_u64()
        ),
        (Some(4096), Some(2304))
    );
    let web = decode_jpeg(&read(&out, fossa, "web.jpg"));
    assert_eq!((web.width, web.height), (2048, 1152));
    let thumb = decode_jpeg(&read(&out, fossa, "thumb.jpg"));
    assert_eq!((thumb.width, thumb.height), (400, 225));

    // Smaller than 2048: the web copy keeps the source size (never upscaled).
    let picture = "Picture_1A_by_freespace";
    let web = decode_jpeg(&read(&out, picture, "web.jpg"));
    assert_eq!((web.width, web.height), (1365, 1074));
    let thumb = decode_jpeg(&read(&out, picture, "thumb.jpg"));
    assert_eq!((thumb.width, thumb.height), (400, 315));
}

/// The hostile inputs of the issue, each with the code it must be refused with.
fn hostile_fixtures() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let small = jpeg(&quadrants(256, 256), 90, false);
    let truncated = small[..small.len() * 6 / 10].to_vec();

    let mut polyglot = b"<!DOCTYPE html><html><body><!--".to_vec();
    polyglot.extend(&small);
    polyglot.extend(b"--><script>alert(1)</script></body></html>");

    let svg = br#"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><circle cx="50" cy="50" r="40"/></svg>"#
        .to_vec();

    // An 8 × 8 uncompressed RGB TIFF.
    let tiff_with = |strip_at: u32| {
        tiff(
            vec![
                short(0x0100, 8),
                short(0x0101, 8),
                Entry(
                    0x0102,
                    3,
                    3,
                    [8u16, 8, 8].iter().flat_map(|v| v.to_le_bytes()).collect(),
                ),
                short(0x0103, 1),
                short(0x0106, 2),
                long(0x0111, strip_at),
                short(0x0115, 3),
                short(0x0116, 8),
                long(0x0117, 192),
            ],
            Vec::new(),
            Vec::new(),
        )
    };
    let mut tiff_file = tiff_with(0);
    tiff_file = tiff_with(tiff_file.len() as u32);
    tiff_file.extend([90u8; 192]);

    let gif = vec![
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0, 0x80, 0, 0, 0xFF, 0xFF, 0xFF, 0, 0, 0,
        0x21, 0xF9, 4, 1, 0, 0, 0, 0, 0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 1, 0, 0x3B,
    ];

    // A 16 × 16 JPEG whose frame header claims 64,000 × 64,000.
    let mut huge_jpeg = jpeg(&quadrants(16, 16), 90, false);
    let sof = huge_jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("SOF0");
    huge_jpeg[sof + 5..sof + 7].copy_from_slice(&64_000u16.to_be_bytes());
    huge_jpeg[sof + 7..sof + 9].copy_from_slice(&64_000u16.to_be_bytes());

    // A 16 × 16 PNG whose IHDR claims 100,000 × 100,000 (CRC fixed up).
    let mut huge_png = png_rgba(16, 16, vec![128; 16 * 16 * 4]);
    huge_png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    huge_png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&huge_png[12..29]);
    huge_png[29..33].copy_from_slice(&crc.to_be_bytes());

    // A progressive JPEG whose last scan (with its tables) is repeated 5,000 times.
    let grey = Rgb {
        width: 1024,
        height: 1024,
        data: vec![128; 1024 * 1024 * 3],
    };
    let progressive = jpeg(&grey, 90, true);
    let markers: Vec<usize> = progressive
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w[0] == 0xFF && (w[1] == 0xDA || w[1] == 0xC4))
        .map(|(i, _)| i)
        .collect();
    let last_sos = *markers
        .iter()
        .rev()
        .find(|&&i| progressive[i + 1] == 0xDA)
        .expect("a scan");
    let scan_start = markers
        .iter()
        .rev()
        .skip_while(|&&i| i != last_sos)
        .take_while(|&&i| i == last_sos || progressive[i + 1] == 0xC4)
        .last()
        .copied()
        .unwrap_or(last_sos);
    let body_end = progressive.len() - 2; // before EOI
    let mut many_scans = progressive[..body_end].to_vec();
    for _ in 0..5_000 {
        many_scans.extend_from_slice(&progressive[scan_start..body_end]);
    }
    many_scans.extend([0xFF, 0xD9]);

    // VP8X + VP8L + an EXIF chunk declaring 0xFFFFFFF0 bytes (a decoder that trusts it
    // allocates 4 GB before reading).
    let simple = webp(&quadrants(8, 8));
    let exif_bomb = extended_webp(
        &simple,
        8,
        8,
        &[riff_chunk(b"EXIF", 0xFFFF_FFF0, b"MM\0*\0\0\0\x08")],
    );

    vec![
        ("truncated", truncated, "corrupt_image"),
        ("exif-bomb", exif_bomb, "corrupt_image"),
        ("empty", Vec::new(), "not_an_image"),
        ("polyglot", polyglot, "not_an_image"),
        ("drawing", svg, "unsupported_format"),
        ("scan", tiff_file, "unsupported_format"),
        ("animation", gif, "unsupported_format"),
        ("huge-jpeg", huge_jpeg, "too_many_pixels"),
        ("huge-png", huge_png, "too_many_pixels"),
        ("many-scans", many_scans, "too_many_scans"),
    ]
}

#[test]
fn hostile_inputs_are_refused_quickly_with_a_reason_within_a_small_memory_bound() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    for (stem, bytes, code) in hostile_fixtures() {
        let input = write(tmp.path(), &format!("{stem}.bin"), &bytes);
        // 128 MB of address space: a decode of any of these claimed sizes would need far more.
        let (output, took) = derive_capped(&input, &out, 128);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{stem}: exit status; stderr: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stem}: panicked: {stderr}");
        assert!(took < Duration::from_secs(1), "{stem}: took {took:?}");
        let meta = meta(&out, stem);
        assert_eq!(meta["error"]["code"], code, "{stem}: {meta}");
        let message = meta["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.len() > 10,
            "{stem}: a clear reason, got {message:?}"
        );
        assert!(
            stderr.contains(code),
            "{stem}: the refusal is printed: {stderr}"
        );
        assert!(
            !out.join(stem).join("web.jpg").exists(),
            "{stem}: no variant written"
        );
    }
}

#[test]
fn a_refused_input_does_not_stop_the_others() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let good_a = write(tmp.path(), "a.jpg", &jpeg(&quadrants(300, 200), 90, false));
    let bad = write(tmp.path(), "b.gif", b"GIF89a\x01\x00\x01\x00");
    let good_c = write(tmp.path(), "c.jpg", &jpeg(&quadrants(200, 300), 90, true));
    let out = tmp.path().join("out");
    let (output, _) = derive(&[&good_a, &bad, &good_c], &out, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        meta(&out, "a")["variants"],
        serde_json::json!(["thumb", "web"])
    );
    assert_eq!(meta(&out, "b")["error"]["code"], "unsupported_format");
    assert_eq!(meta(&out, "c")["width"], 200);
    assert!(out.join("c").join("thumb.jpg").is_file());
}

#[test]
fn a_custom_spec_crops_in_upright_coordinates_and_writes_custom_beside_meta() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let reference = quadrants(800, 600);
    // Stored turned (orientation 6): the crop must still address the upright image.
    let stored = stored_for_orientation(&reference, 6);
    let input = write(
        tmp.path(),
        "turned.jpg",
        &with_exif(&jpeg(&stored, 95, false), &camera_exif(6)),
    );
    let out = tmp.path().join("out");
    // The upright top-right quadrant (green), 400 × 300, resized to 200 wide, as PNG.
    let spec = r#"{"crop": {"x": 400, "y": 0, "width": 400, "height": 300},
                   "resize": {"width": 200, "fit": "inside"}, "format": "png"}"#;
    let (output, _) = derive(&[&input], &out, &["--spec", spec]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let custom = decode_any(&read(&out, "turned", "custom.png"));
    assert_eq!((custom.width, custom.height), (200, 150));
    let off: Vec<_> = custom
        .data
        .chunks(3)
        .filter(|p| !close([p[0], p[1], p[2]], GREEN, 16))
        .collect();
    assert!(
        off.len() < custom.width * 2,
        "{} pixels are not green",
        off.len()
    );
    assert_eq!(
        meta(&out, "turned")["variants"],
        serde_json::json!(["thumb", "web", "custom"])
    );
}

#[test]
fn aspect_crop_with_cover_resize_has_the_exact_size() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = write(
        tmp.path(),
        "wide.jpg",
        &jpeg(&quadrants(900, 400), 90, false),
    );
    let out = tmp.path().join("out");
    let spec = r#"{"crop": {"aspect": "4:5", "gravity": "west"},
                   "resize": {"width": 120, "height": 120, "fit": "contain"}, "quality": 70}"#;
    let (output, _) = derive(&[&input], &out, &["--spec", spec]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let custom = decode_jpeg(&read(&out, "wide", "custom.jpg"));
    assert_eq!((custom.width, custom.height), (120, 120));
    // contain pads with white left and right of the 96 × 120 crop.
    assert!(close(custom.pixel(2, 60), [255, 255, 255], 8));
    assert!(
        close(custom.pixel(40, 20), RED, 20),
        "west crop starts in the red quadrant"
    );
}

#[test]
fn an_image_watermark_lands_at_its_position_on_viewer_variants_only() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = write(
        tmp.path(),
        "grey.jpg",
        &jpeg(
            &Rgb {
                width: 1000,
                height: 800,
                data: vec![128; 1000 * 800 * 3],
            },
            95,
            false,
        ),
    );
    let mark = write(
        tmp.path(),
        "mark.png",
        &png_rgba(50, 50, [0u8, 0, 255, 255].repeat(2500)),
    );
    let out = tmp.path().join("out");
    let (output, _) = derive(
        &[&input],
        &out,
        &[
            "--watermark-image",
            mark.to_str().expect("utf-8 path"),
            "--watermark-position",
            "north-west",
            "--watermark-opacity",
            "1",
            "--watermark-scale",
            "0.2",
            "--spec",
            r#"{"resize": {"width": 500}}"#,
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let web = decode_jpeg(&read(&out, "grey", "web.jpg"));
    // 2 % margin of 800 = 16 px; the mark is 200 × 200.
    assert!(
        close(web.pixel(100, 100), [0, 0, 255], 24),
        "mark at top left: {:?}",
        web.pixel(100, 100)
    );
    assert!(
        close(web.pixel(600, 500), [128, 128, 128], 6),
        "rest untouched"
    );
    let custom = decode_jpeg(&read(&out, "grey", "custom.jpg"));
    assert!(
        close(custom.pixel(50, 50), [128, 128, 128], 6),
        "custom without watermark: true"
    );
}

#[test]
fn png_with_alpha_and_webp_inputs_are_derived() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // Left half opaque red, right half fully transparent.
    let rgba: Vec<u8> = (0..300 * 200)
        .flat_map(|i| {
            if i % 300 < 150 {
                [220, 30, 30, 255]
            } else {
                [0, 0, 0, 0]
            }
        })
        .collect();
    let png = write(tmp.path(), "alpha.png", &png_rgba(300, 200, rgba));
    let mut webp_bytes = Cursor::new(Vec::new());
    image::RgbImage::from_raw(320, 240, quadrants(320, 240).data)
        .expect("buffer")
        .write_to(&mut webp_bytes, image::ImageFormat::WebP)
        .expect("webp");
    let webp = write(tmp.path(), "lossless.webp", &webp_bytes.into_inner());
    let out = tmp.path().join("out");
    let (output, _) = derive(&[&png, &webp], &out, &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(meta(&out, "alpha")["format"], "png");
    assert_eq!(meta(&out, "lossless")["format"], "webp");
    let web = decode_jpeg(&read(&out, "alpha", "web.jpg"));
    assert!(close(web.pixel(50, 100), [220, 30, 30], 12));
    assert!(
        close(web.pixel(250, 100), [255, 255, 255], 6),
        "transparent becomes white"
    );
    let web = decode_jpeg(&read(&out, "lossless", "web.jpg"));
    assert!(mean_abs_diff(&web, &quadrants(320, 240)) < 3.0);
}

#[test]
fn a_bad_spec_is_a_usage_error_before_any_input() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = write(tmp.path(), "a.jpg", &jpeg(&quadrants(64, 64), 90, false));
    let out = tmp.path().join("out");
    let (output, _) = derive(&[&input], &out, &["--spec", r#"{"quality": 0}"#]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("quality"));
    assert!(!out.join("a").exists());
}
