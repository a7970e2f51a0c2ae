//! A JPEG walked marker by marker (no decoder involved): the frame size, the EXIF and ICC
//! segments, the scan count, truncation, and markup in APPn and comment segments, all in
//! one linear pass over the bytes.

use super::{Limits, SourceInfo, corrupt, keep_icc};
use crate::error::{Error, Result};
use crate::pipeline::{codes, markup};

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]))
}

const EXIF_PREFIX: &[u8] = b"Exif\0\0";
const ICC_PREFIX: &[u8] = b"ICC_PROFILE\0";

/// What a segment is called in a refusal.
fn place(marker: u8) -> &'static str {
    match marker {
        0xFE => "a JPEG comment",
        0xE1 => "its EXIF/XMP segment (APP1)",
        0xE2 => "its colour profile segment (APP2)",
        _ => "a JPEG application segment",
    }
}

pub(super) fn read(bytes: &[u8], limits: &Limits) -> Result<SourceInfo> {
    let truncated = || corrupt("the JPEG is truncated");
    let mut info = SourceInfo::default();
    // Slices of the file: the profile is only assembled once its total size is known.
    let mut icc_chunks: Vec<(u8, &[u8])> = Vec::new();
    let mut seen_frame = false;
    let mut pos = 2; // after SOI
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        if *bytes.get(pos).ok_or_else(truncated)? != 0xFF {
            return Err(corrupt("the JPEG has garbage where a marker should be"));
        }
        while bytes.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *bytes.get(pos).ok_or_else(truncated)?;
        pos += 1;
        match marker {
            0xD9 => break,
            0xD8 => return Err(corrupt("the JPEG has a second start-of-image marker")),
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let len = usize::from(be16(bytes, pos).ok_or_else(truncated)?);
        if len < 2 {
            return Err(corrupt("the JPEG has a segment with an impossible length"));
        }
        let segment = bytes.get(pos + 2..pos + len).ok_or_else(truncated)?;
        pos += len;
        if matches!(marker, 0xE0..=0xEF | 0xFE) {
            markup::check(segment, place(marker))?;
        }
        match marker {
            // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC).
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                if seen_frame {
                    return Err(corrupt("the JPEG has more than one frame header"));
                }
                seen_frame = true;
                let height = be16(segment, 1).ok_or_else(truncated)?;
                let width = be16(segment, 3).ok_or_else(truncated)?;
                if height == 0 {
                    return Err(Error::unsupported(
                        codes::UNSUPPORTED_FORMAT,
                        "JPEGs that declare their height after the image data (DNL) are not accepted",
                    ));
                }
                info.width = u32::from(width);
                info.height = u32::from(height);
                info.progressive = matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE);
                // Refuse a huge frame as soon as it is announced.
                limits.check_dimensions(info.width, info.height)?;
            }
            0xE1 if info.exif.is_none() && segment.starts_with(EXIF_PREFIX) => {
                info.exif = Some(segment[EXIF_PREFIX.len()..].to_vec());
            }
            0xE2 if segment.starts_with(ICC_PREFIX) && segment.len() >= ICC_PREFIX.len() + 2 => {
                let seq = segment[ICC_PREFIX.len()];
                icc_chunks.push((seq, &segment[ICC_PREFIX.len() + 2..]));
            }
            0xDA => {
                if !seen_frame {
                    return Err(corrupt("the JPEG has image data before its frame header"));
                }
                info.scans += 1;
                if info.scans > limits.max_scans {
                    return Err(Error::too_large(
                        codes::TOO_MANY_SCANS,
                        format!(
                            "the JPEG has more than {} scans; cameras and encoders write at most a few dozen",
                            limits.max_scans
                        ),
                    ));
                }
                pos = skip_entropy_coded(bytes, pos).ok_or_else(truncated)?;
            }
            _ => {}
        }
    }
    if !seen_frame || info.scans == 0 {
        return Err(corrupt("the JPEG has no image data"));
    }
    // Phones append the motion-photo video after EOI; a document there is refused.
    markup::check_trailer(bytes.get(pos..).unwrap_or_default())?;
    if !icc_chunks.is_empty() {
        icc_chunks.sort_by_key(|(seq, _)| *seq);
        let len = icc_chunks.iter().map(|(_, data)| data.len()).sum();
        info.icc = keep_icc(len, limits, &mut info.notes, || {
            icc_chunks
                .iter()
                .flat_map(|(_, data)| *data)
                .copied()
                .collect()
        });
    }
    Ok(info)
}

/// Returns the position of the 0xFF that starts the next marker after entropy-coded data.
fn skip_entropy_coded(bytes: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let ff = bytes.get(pos..)?.iter().position(|&b| b == 0xFF)? + pos;
        let next = *bytes.get(ff + 1)?;
        match next {
            // Stuffed zero byte and restart markers belong to the scan.
            0x00 | 0xD0..=0xD7 => pos = ff + 2,
            // A fill byte: the marker follows.
            0xFF => pos = ff + 1,
            _ => return Some(ff),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sof(width: u16, height: u16) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8];
        v.extend(height.to_be_bytes());
        v.extend(width.to_be_bytes());
        v.extend([1, 1, 0x11, 0]);
        v
    }

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF, marker];
        v.extend(
            u16::try_from(payload.len() + 2)
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        v.extend_from_slice(payload);
        v
    }

    /// A 10 × 10 "JPEG" with one empty scan: enough for the walk.
    fn with(segments: &[Vec<u8>], trailer: &[u8]) -> Vec<u8> {
        let mut v = sof(10, 10);
        for s in segments {
            v.extend(s);
        }
        v.extend(segment(0xDA, &[1, 1, 0, 0, 63, 0]));
        v.extend([0x12, 0x34, 0xFF, 0xD9]);
        v.extend_from_slice(trailer);
        v
    }

    #[test]
    fn a_huge_jpeg_frame_is_refused_from_its_header_alone() {
        let err = read(&sof(64_000, 64_000), &Limits::default()).expect_err("refused");
        assert_eq!(err.code(), codes::TOO_MANY_PIXELS);
    }

    #[test]
    fn a_jpeg_ending_inside_a_segment_is_truncated() {
        let err = read(&sof(10, 10)[..9], &Limits::default()).expect_err("refused");
        assert_eq!(err.code(), codes::CORRUPT_IMAGE);
    }

    #[test]
    fn a_jpeg_without_scans_is_corrupt() {
        let mut v = sof(10, 10);
        v.extend([0xFF, 0xD9]);
        let err = read(&v, &Limits::default()).expect_err("refused");
        assert_eq!(err.code(), codes::CORRUPT_IMAGE);
    }

    #[test]
    fn entropy_data_skips_stuffing_and_restarts() {
        let data = [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56, 0xFF, 0xFF, 0xD9];
        assert_eq!(skip_entropy_coded(&data, 0), Some(8));
    }

    #[test]
    fn markup_in_a_comment_or_app_segment_is_refused_but_not_after_eoi_video() {
        let limits = Limits::default();
        for (marker, payload) in [
            (0xFE, &b"<html><script>alert(1)</script>"[..]),
            (
                0xE1,
                b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><svg onload=x>",
            ),
            (0xEC, b"Ducky javascript:alert(1)"),
        ] {
            let err = read(&with(&[segment(marker, payload)], b""), &limits).expect_err("markup");
            assert_eq!(err.code(), codes::MARKUP_IN_METADATA, "{marker:X}");
        }
        let xmp =
            b"http://ns.adobe.com/xap/1.0/\0<?xpacket begin=''?><x:xmpmeta/><?xpacket end='w'?>";
        let video = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom<svg >";
        assert!(read(&with(&[segment(0xE1, xmp)], video), &limits).is_ok());
        let err = read(&with(&[], b"<html></html>"), &limits).expect_err("document after EOI");
        assert_eq!(err.code(), codes::MARKUP_IN_METADATA);
    }

    #[test]
    fn an_icc_profile_past_the_limit_is_left_out_with_a_note() {
        let limits = Limits {
            max_icc_bytes: 100,
            ..Limits::default()
        };
        let chunk = |seq: u8, len: usize| {
            let mut p = ICC_PREFIX.to_vec();
            p.extend([seq, 2]);
            p.extend(vec![seq; len]);
            segment(0xE2, &p)
        };
        let small = read(&with(&[chunk(2, 30), chunk(1, 40)], b""), &limits).expect("small");
        assert_eq!(small.icc.as_deref().map(<[u8]>::len), Some(70));
        assert_eq!(small.icc.as_deref().and_then(|p| p.first()), Some(&1));
        assert!(small.notes.is_empty());
        let big = read(&with(&[chunk(1, 60), chunk(2, 60)], b""), &limits).expect("big");
        assert_eq!(big.icc, None);
        assert_eq!(big.notes.len(), 1);
        assert_eq!(big.notes[0].code, codes::ICC_PROFILE_DROPPED);
    }
}
