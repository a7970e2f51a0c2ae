//! A PNG walked chunk by chunk: the size from IHDR (checked before anything else), the
//! colour profile (iCCP, inflated to at most the kept size plus one byte), EXIF (eXIf), and
//! markup in text chunks (tEXt, zTXt, iTXt — XMP lives in an iTXt) and metadata.
//!
//! Compressed chunks are inflated with a bound: a few hundred kilobytes of zlib can claim a
//! gigabyte, and no decoder of ours inflates one without this walk having bounded it
//! (the pixel decoder is told to skip iCCP and text chunks).

use super::{Limits, SourceInfo, corrupt, icc_dropped};
use crate::error::{Error, Result};
use crate::pipeline::{codes, markup};

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// Inflates a zlib stream to at most `max` bytes: `Ok(None)` when it would be longer,
/// `Err(())` when it is not zlib.
fn inflate(data: &[u8], max: usize) -> std::result::Result<Option<Vec<u8>>, ()> {
    match fdeflate::decompress_to_vec_bounded(data, max) {
        Ok(out) => Ok(Some(out)),
        Err(fdeflate::BoundedDecompressionError::OutputTooLarge { .. }) => Ok(None),
        Err(_) => Err(()),
    }
}

/// `keyword\0rest`: the rest, when the keyword is there.
fn after_keyword(data: &[u8]) -> Option<&[u8]> {
    let nul = data.iter().take(80).position(|&b| b == 0)?;
    data.get(nul + 1..)
}

pub(super) fn read(bytes: &[u8], limits: &Limits) -> Result<SourceInfo> {
    // IHDR is the first chunk at a fixed offset: check the size before anything else.
    if bytes.get(12..16) != Some(b"IHDR") {
        return Err(corrupt("the PNG does not start with its header chunk"));
    }
    let truncated = || corrupt("the PNG is truncated");
    let width = be32(bytes, 16).ok_or_else(truncated)?;
    let height = be32(bytes, 20).ok_or_else(truncated)?;
    limits.check_dimensions(width, height)?;
    let mut info = SourceInfo {
        width,
        height,
        ..SourceInfo::default()
    };
    let mut pos = 8;
    let mut seen_iccp = false;
    while pos < bytes.len() {
        let len = be32(bytes, pos).ok_or_else(truncated)? as usize;
        let kind: [u8; 4] = bytes
            .get(pos + 4..pos + 8)
            .and_then(|k| k.try_into().ok())
            .ok_or_else(truncated)?;
        let data = bytes.get(pos + 8..pos + 8 + len).ok_or_else(|| {
            corrupt(format!(
                "the PNG's {} chunk claims {len} bytes; fewer are left in the file",
                String::from_utf8_lossy(&kind)
            ))
        })?;
        pos += 8 + len + 4; // length, type, data, CRC
        match &kind {
            b"IEND" => break,
            b"iCCP" if !seen_iccp => {
                seen_iccp = true;
                info.icc = read_iccp(data, limits, &mut info.notes)?;
            }
            b"eXIf" if info.exif.is_none() => {
                markup::check(data, "its EXIF chunk")?;
                info.exif = Some(data[..data.len().min(limits.max_metadata_bytes)].to_vec());
            }
            b"tEXt" => markup::check(data, "a PNG text chunk")?,
            b"zTXt" => check_compressed_text(data, 1, limits)?,
            b"iTXt" => check_itxt(data, limits)?,
            _ => {}
        }
    }
    Ok(info)
}

fn read_iccp(
    data: &[u8],
    limits: &Limits,
    notes: &mut Vec<super::Note>,
) -> Result<Option<Vec<u8>>> {
    // keyword \0, compression method (0), zlib stream; a broken one is ignored, as decoders do.
    let Some([0, stream @ ..]) = after_keyword(data) else {
        return Ok(None);
    };
    match inflate(stream, limits.max_icc_bytes.saturating_add(1)) {
        Ok(Some(profile)) if profile.len() <= limits.max_icc_bytes => {
            markup::check(&profile, "its colour profile")?;
            Ok(Some(profile))
        }
        Ok(_) => {
            // Over the kept size: its full length is not worth inflating to learn.
            notes.push(icc_dropped(limits.max_icc_bytes.saturating_add(1), limits));
            Ok(None)
        }
        Err(()) => Ok(None),
    }
}

/// zTXt: `keyword\0 method stream`; the keyword and the inflated text are checked.
fn check_compressed_text(data: &[u8], skip: usize, limits: &Limits) -> Result<()> {
    markup::check(data, "a PNG text chunk")?;
    let Some(rest) = after_keyword(data) else {
        return Ok(());
    };
    let stream = rest.get(skip..).unwrap_or_default();
    check_inflated(stream, limits)
}

fn check_inflated(stream: &[u8], limits: &Limits) -> Result<()> {
    match inflate(stream, limits.max_metadata_bytes) {
        Ok(Some(text)) => markup::check(&text, "a PNG text chunk"),
        Ok(None) => Err(Error::too_large(
            codes::TOO_LARGE,
            format!(
                "a compressed PNG text chunk inflates to more than {} bytes",
                limits.max_metadata_bytes
            ),
        )),
        // Not zlib: no reader can show it as text.
        Err(()) => Ok(()),
    }
}

/// iTXt: `keyword\0 flag method language\0 translated\0 text`, the text maybe compressed.
fn check_itxt(data: &[u8], limits: &Limits) -> Result<()> {
    markup::check(data, "a PNG text chunk")?;
    let Some([flag, _method, rest @ ..]) = after_keyword(data) else {
        return Ok(());
    };
    if *flag != 1 {
        return Ok(()); // uncompressed: already checked as part of `data`
    }
    let text = rest.splitn(3, |&b| b == 0).nth(2).unwrap_or_default();
    check_inflated(text, limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut v = u32::try_from(data.len())
            .unwrap_or(0)
            .to_be_bytes()
            .to_vec();
        v.extend(kind);
        v.extend(data);
        v.extend([0; 4]); // CRC: the walk does not check it, the decoder does
        v
    }

    fn png(chunks: &[Vec<u8>]) -> Vec<u8> {
        let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = 10u32.to_be_bytes().to_vec();
        ihdr.extend(10u32.to_be_bytes());
        ihdr.extend([8, 2, 0, 0, 0]);
        v.extend(chunk(b"IHDR", &ihdr));
        for c in chunks {
            v.extend(c);
        }
        v.extend(chunk(b"IEND", b""));
        v
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        fdeflate::compress_to_vec(data)
    }

    #[test]
    fn markup_in_plain_or_compressed_text_is_refused() {
        let limits = Limits::default();
        let mut ztxt = b"Comment\0\0".to_vec();
        ztxt.extend(zlib(b"<script>alert(1)</script>"));
        let mut itxt = b"Description\0\x01\0en\0\0".to_vec();
        itxt.extend(zlib(b"<svg onload=alert(1)>"));
        for c in [
            chunk(b"tEXt", b"Comment\0<html><body>"),
            chunk(b"zTXt", &ztxt),
            chunk(b"iTXt", &itxt),
        ] {
            let err = read(&png(&[c]), &limits).expect_err("markup");
            assert_eq!(err.code(), codes::MARKUP_IN_METADATA);
        }
        let xmp =
            b"XML:com.adobe.xmp\0\0\0\0\0<?xml version='1.0'?><?xpacket begin=''?><x:xmpmeta/>";
        assert!(read(&png(&[chunk(b"iTXt", xmp)]), &limits).is_ok());
        assert!(read(&png(&[chunk(b"tEXt", b"Software\0GIMP 2.10")]), &limits).is_ok());
    }

    #[test]
    fn an_inflation_bomb_in_a_profile_or_text_is_bounded() {
        let limits = Limits::default();
        let bomb = zlib(&vec![0u8; 8 * 1024 * 1024]);
        let mut iccp = b"bomb\0\0".to_vec();
        iccp.extend(&bomb);
        let info = read(&png(&[chunk(b"iCCP", &iccp)]), &limits).expect("profile dropped");
        assert_eq!(info.icc, None);
        assert_eq!(info.notes[0].code, codes::ICC_PROFILE_DROPPED);
        let mut ztxt = b"bomb\0\0".to_vec();
        ztxt.extend(&bomb);
        let err = read(&png(&[chunk(b"zTXt", &ztxt)]), &limits).expect_err("text bomb");
        assert_eq!(err.code(), codes::TOO_LARGE);
    }

    #[test]
    fn a_chunk_longer_than_the_file_is_corrupt() {
        let mut v = png(&[]);
        let iend = v.len() - 12;
        v[iend..iend + 4].copy_from_slice(&0xFFFF_FFF0u32.to_be_bytes());
        let err = read(&v, &Limits::default()).expect_err("truncated");
        assert_eq!(err.code(), codes::CORRUPT_IMAGE);
    }
}
