//! `picpass derive` on metadata as real tools write it and on files built to exhaust it:
//! EXIF from piexif, exiftool and truncated blocks; oversized watermarks and colour
//! profiles under a memory cap; markup hidden in metadata.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use support::*;

/// A generated JPEG stored for orientation 6 of the quadrant reference, for EXIF tests.
fn turned_jpeg() -> Vec<u8> {
    jpeg(&stored_for_orientation(&quadrants(800, 600), 6), 95, false)
}

/// The thumbnail of `stem` is the upright quadrant reference, 400 × 300.
fn assert_upright_thumb(out: &Path, stem: &str) {
    let thumb = decode_jpeg(&read(out, stem, "thumb.jpg"));
    assert_eq!(
        (thumb.width, thumb.height),
        (400, 300),
        "{stem}: upright size"
    );
    for (x, y, colour) in [(100, 75, RED), (300, 75, GREEN), (100, 225, BLUE)] {
        let got = thumb.pixel(x, y);
        assert!(
            close(got, colour, 12),
            "{stem}: thumb ({x},{y}) is {got:?}, want {colour:?}"
        );
    }
}

#[test]
fn an_orientation_6_photo_tagged_by_piexif_comes_out_upright_with_its_time_and_camera() {
    // piexif's Exif IFD has no next-IFD link: its values start where the link should be,
    // which a strict reader takes as a broken link and drops the whole block for.
    // The block was written by piexif 1.1.3 (fixtures/piexif-orientation-6.py).
    let block = include_bytes!("fixtures/piexif-orientation-6.exif");
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = write(tmp.path(), "piexif.jpg", &with_exif(&turned_jpeg(), block));
    let out = tmp.path().join("out");
    let (output, _) = derive(&[&input], &out, &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let meta = meta(&out, "piexif");
    assert_eq!(meta["orientation"], 6);
    assert_eq!(
        (meta["width"].as_u64(), meta["height"].as_u64()),
        (Some(800), Some(600))
    );
    assert_eq!(meta["taken_at"], "2026-06-13T13:04:05Z");
    assert_eq!(meta["camera"], "FUJIFILM X-T4");
    assert_upright_thumb(&out, "piexif");
}

#[test]
fn exif_written_by_exiftool_is_read() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = write(tmp.path(), "exiftool.jpg", &turned_jpeg());
    let tagged = std::process::Command::new("exiftool")
        .args([
            "-q",
            "-overwrite_original",
            "-Orientation#=6",
            "-Make=FUJIFILM",
            "-Model=X-H2",
            "-DateTimeOriginal=2026:06:13 15:04:05",
            "-OffsetTimeOriginal=+02:00",
        ])
        .arg(&input)
        .status()
        .expect("exiftool runs (Debian libimage-exiftool-perl; scripts/install-test-deps)");
    assert!(tagged.success());
    let out = tmp.path().join("out");
    let (output, _) = derive(&[&input], &out, &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let meta = meta(&out, "exiftool");
    assert_eq!(meta["orientation"], 6);
    assert_eq!(meta["taken_at"], "2026-06-13T13:04:05Z");
    assert_eq!(meta["camera"], "FUJIFILM X-H2");
    assert_upright_thumb(&out, "exiftool");
}

#[test]
fn truncated_exif_keeps_the_orientation_and_camera_before_the_cut() {
    let block = camera_exif(6);
    // Cut 8 bytes into the Exif sub-IFD (IFD0 and its values come before it).
    let pointer = block
        .windows(8)
        .position(|w| w == [0x69, 0x87, 4, 0, 1, 0, 0, 0])
        .expect("Exif IFD pointer");
    let exif_at = u32::from_le_bytes(
        block[pointer + 8..pointer + 12]
            .try_into()
            .expect("4 bytes"),
    ) as usize;
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = write(
        tmp.path(),
        "cut.jpg",
        &with_exif(&turned_jpeg(), &block[..exif_at + 8]),
    );
    let out = tmp.path().join("out");
    let (output, _) = derive(&[&input], &out, &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let meta = meta(&out, "cut");
    assert_eq!(meta["orientation"], 6);
    assert_eq!(meta["camera"], "Canon EOS R5");
    assert!(
        meta["taken_at"].is_null(),
        "the cut-off time is not made up"
    );
    assert_upright_thumb(&out, "cut");
}

#[test]
fn a_1x4096_image_watermark_is_fitted_quickly_within_a_small_memory_bound() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = write(
        tmp.path(),
        "wide.jpg",
        &jpeg(
            &Rgb {
                width: 2048,
                height: 1365,
                data: vec![128; 2048 * 1365 * 3],
            },
            90,
            false,
        ),
    );
    let mark = write(
        tmp.path(),
        "sliver.png",
        &png_rgba(1, 4096, [0u8, 0, 255, 255].repeat(4096)),
    );
    let out = tmp.path().join("out");
    let mark_arg = mark.to_str().expect("utf-8 path");
    // Unfitted, the mark would be 512 × 2,097,152 on the 2048-wide web copy (4 GB).
    let (output, took) = derive_capped_with(
        &input,
        &out,
        256,
        &["--watermark-image", mark_arg, "--watermark-opacity", "1"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A whole derive of an unoptimised build beside the other tests: the bound only has to
    // separate it from the unfitted mark (8 s and 4.2 GB in release). Release: see
    // docs/pipeline.md.
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let web = decode_jpeg(&read(&out, "wide", "web.jpg"));
    assert_eq!((web.width, web.height), (2048, 1365));
    // South-east, 2 % margin (27 px): a full-height blue line just inside the margins.
    let blue_rows = (0..web.height)
        .filter(|&y| {
            (2048 - 27 - 3..2048 - 27)
                .any(|x| web.pixel(x, y)[2] > web.pixel(x, y)[0].saturating_add(40))
        })
        .count();
    assert!(
        (1200..=1320).contains(&blue_rows),
        "{blue_rows} rows carry the mark"
    );
    assert!(
        close(web.pixel(1000, 600), [128, 128, 128], 6),
        "rest untouched"
    );
}

#[test]
fn a_png_whose_profile_inflates_to_300_mb_is_derived_without_it_within_a_small_memory_bound() {
    let mut iccp = b"bomb\0\0".to_vec();
    iccp.extend(fdeflate::compress_to_vec(&vec![0u8; 300 * 1024 * 1024]));
    let png = png_with_chunk(
        &png_rgba(64, 48, [90u8, 160, 40, 255].repeat(64 * 48)),
        &png_chunk(b"iCCP", &iccp),
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = write(tmp.path(), "bomb.png", &png);
    let out = tmp.path().join("out");
    let (output, took) = derive_capped(&input, &out, 256);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert_eq!(
        meta(&out, "bomb")["notes"][0]["code"],
        "icc_profile_dropped"
    );
    assert!(stderr.contains("icc_profile_dropped"), "{stderr}");
}

/// ICC APP2 segments carrying `profile` (made-up bytes; the pipeline copies, never parses).
fn icc_segments(profile: &[u8]) -> Vec<Vec<u8>> {
    let chunks: Vec<&[u8]> = profile.chunks(60_000).collect();
    chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let mut p = b"ICC_PROFILE\0".to_vec();
            p.extend([i as u8 + 1, chunks.len() as u8]);
            p.extend_from_slice(chunk);
            p
        })
        .collect()
}

#[test]
fn a_small_colour_profile_is_kept_and_an_oversized_one_left_out_with_a_note() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let base = jpeg(&quadrants(640, 480), 90, false);
    for (stem, len) in [("small", 3_000), ("large", 1_000_000)] {
        let profile: Vec<u8> = (0..len).map(|i| (i % 61) as u8 + 0x40).collect();
        let segments = icc_segments(&profile);
        let with: Vec<(u8, &[u8])> = segments.iter().map(|p| (0xE2, p.as_slice())).collect();
        write(
            tmp.path(),
            &format!("{stem}.jpg"),
            &with_segments(&base, &with),
        );
    }
    let out = tmp.path().join("out");
    let (output, _) = derive(
        &[&tmp.path().join("small.jpg"), &tmp.path().join("large.jpg")],
        &out,
        &[],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let has_profile = |bytes: &[u8]| bytes.windows(12).any(|w| w == b"ICC_PROFILE\0");
    for file in ["thumb.jpg", "web.jpg"] {
        assert!(has_profile(&read(&out, "small", file)), "small/{file}");
        let large = read(&out, "large", file);
        assert!(!has_profile(&large), "large/{file} carries the profile");
        assert!(
            large.len() < 200_000,
            "large/{file} has {} bytes",
            large.len()
        );
    }
    assert!(meta(&out, "small").get("notes").is_none());
    let note = &meta(&out, "large")["notes"][0];
    assert_eq!(note["code"], "icc_profile_dropped");
    assert!(
        note["message"]
            .as_str()
            .unwrap_or_default()
            .contains("1000000")
    );
}

#[test]
fn markup_in_a_jpeg_comment_or_xmp_or_png_text_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let base = jpeg(&quadrants(64, 64), 90, false);
    let html: &[u8] = b"<html><script>alert(document.cookie)</script></html>";
    let mut xmp = b"http://ns.adobe.com/xap/1.0/\0<?xpacket begin=''?><x:xmpmeta>".to_vec();
    xmp.extend(b"<svg onload=alert(1)></svg></x:xmpmeta>");
    let png = png_with_chunk(
        &png_rgba(8, 8, vec![200; 256]),
        &png_chunk(b"tEXt", b"Comment\0<!DOCTYPE html><body onload=alert(1)>"),
    );
    let inputs = [
        write(
            tmp.path(),
            "comment.jpg",
            &with_segments(&base, &[(0xFE, html)]),
        ),
        write(
            tmp.path(),
            "xmp.jpg",
            &with_segments(&base, &[(0xE1, &xmp)]),
        ),
        write(tmp.path(), "text.png", &png),
    ];
    let out = tmp.path().join("out");
    let refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let (output, _) = derive(&refs, &out, &[]);
    assert_eq!(output.status.code(), Some(1));
    for stem in ["comment", "xmp", "text"] {
        let meta = meta(&out, stem);
        assert_eq!(
            meta["error"]["code"], "markup_in_metadata",
            "{stem}: {meta}"
        );
        assert!(!out.join(stem).join("web.jpg").exists(), "{stem}");
    }
}

#[test]
fn lightroom_xmp_and_a_motion_photo_video_after_eoi_are_accepted() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let packet = br#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0-c000">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:GCamera="http://ns.google.com/photos/1.0/camera/"
    xmp:CreatorTool="Adobe Photoshop Lightroom Classic 13.0" GCamera:MotionPhoto="1">
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">A &lt;b&gt;toast&lt;/b&gt;</rdf:li></rdf:Alt></dc:description>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"#;
    let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    xmp.extend_from_slice(packet);
    let mut photo = with_segments(&jpeg(&quadrants(64, 64), 90, false), &[(0xE1, &xmp)]);
    // A motion photo's MP4 follows EOI.
    photo.extend(b"\0\0\0\x1cftypisom\0\0\x02\0isomiso2mp41\0\0\0\x08free");
    photo.extend((0..4096).map(|i| (i * 31 % 256) as u8));
    let input = write(tmp.path(), "motion.jpg", &photo);
    let out = tmp.path().join("out");
    let (output, _) = derive(&[&input], &out, &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(out.join("motion").join("web.jpg").is_file());
}
