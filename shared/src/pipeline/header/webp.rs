//! A WebP walked RIFF chunk by RIFF chunk: every chunk's declared size is checked against
//! what is left of the file before it is looked at, and the metadata chunks (ICCP, EXIF,
//! XMP) are sliced out of the file, never read through a decoder that allocates the
//! declared size first. The canvas size comes from the `image` header parser.

use std::io::Cursor;

use image::ImageDecoder;

use super::{Limits, SourceInfo, corrupt, keep_icc};
use crate::error::Result;
use crate::pipeline::markup;

const EXIF_PREFIX: &[u8] = b"Exif\0\0";

pub(super) fn read(bytes: &[u8], limits: &Limits) -> Result<SourceInfo> {
    let mut info = walk(bytes, limits)?;
    let decoder = image::codecs::webp::WebPDecoder::new(Cursor::new(bytes))
        .map_err(|e| corrupt(format!("the WebP cannot be read: {e}")))?;
    (info.width, info.height) = decoder.dimensions();
    limits.check_dimensions(info.width, info.height)?;
    Ok(info)
}

fn walk(bytes: &[u8], limits: &Limits) -> Result<SourceInfo> {
    let le32 = |at: usize| -> Option<usize> {
        let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        usize::try_from(u32::from_le_bytes(b)).ok()
    };
    let riff = le32(4).ok_or_else(|| corrupt("the WebP is truncated"))?;
    // Writers get the RIFF size wrong often enough; the file's own end bounds everything.
    let end = bytes.len().min(riff.saturating_add(8));
    let mut info = SourceInfo::default();
    let mut pos = 12;
    while pos + 8 <= end {
        let kind = &bytes[pos..pos + 4];
        let len = le32(pos + 4).ok_or_else(|| corrupt("the WebP is truncated"))?;
        let start = pos + 8;
        let data = bytes.get(start..start.saturating_add(len)).ok_or_else(|| {
            corrupt(format!(
                "the WebP's {} chunk claims {len} bytes; only {} are left in the file",
                String::from_utf8_lossy(kind),
                bytes.len() - start
            ))
        })?;
        pos = start + len + (len & 1); // chunks are padded to an even size
        match kind {
            // Compressed pixels: never scanned (short strings turn up in them by chance).
            b"VP8 " | b"VP8L" | b"ALPH" | b"ANMF" | b"VP8X" | b"ANIM" => {}
            b"ICCP" if info.icc.is_none() && info.notes.is_empty() => {
                info.icc = keep_icc(len, limits, &mut info.notes, || data.to_vec());
                if let Some(icc) = &info.icc {
                    markup::check(icc, "its colour profile")?;
                }
            }
            b"EXIF" if info.exif.is_none() => {
                markup::check(data, "its EXIF chunk")?;
                // Some writers keep the JPEG APP1 prefix.
                let tiff = data.strip_prefix(EXIF_PREFIX).unwrap_or(data);
                info.exif = Some(tiff[..tiff.len().min(limits.max_metadata_bytes)].to_vec());
            }
            b"XMP " => markup::check(data, "its XMP chunk")?,
            _ => markup::check(data, "a WebP metadata chunk")?,
        }
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::codes;

    fn chunk(kind: &[u8; 4], data: &[u8], declared: u32) -> Vec<u8> {
        let mut v = kind.to_vec();
        v.extend(declared.to_le_bytes());
        v.extend(data);
        if data.len() % 2 == 1 {
            v.push(0);
        }
        v
    }

    fn riff(chunks: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = chunks.concat();
        let mut v = b"RIFF".to_vec();
        v.extend(u32::try_from(body.len() + 4).unwrap_or(0).to_le_bytes());
        v.extend(b"WEBP");
        v.extend(body);
        v
    }

    fn real(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        chunk(kind, data, u32::try_from(data.len()).unwrap_or(0))
    }

    #[test]
    fn a_chunk_claiming_more_than_the_file_is_refused_before_it_is_read() {
        let bomb = riff(&[
            real(b"VP8X", &[0; 10]),
            chunk(b"EXIF", b"MM\0*", 0xFFFF_FFF0),
        ]);
        let err = walk(&bomb, &Limits::default()).expect_err("refused");
        assert_eq!(err.code(), codes::CORRUPT_IMAGE);
        assert!(
            err.to_string()
                .contains("EXIF chunk claims 4294967280 bytes"),
            "{err}"
        );
    }

    #[test]
    fn metadata_chunks_are_sliced_and_checked() {
        let limits = Limits {
            max_icc_bytes: 8,
            ..Limits::default()
        };
        let info = walk(
            &riff(&[real(b"ICCP", b"profile"), real(b"EXIF", b"Exif\0\0MM\0*")]),
            &limits,
        )
        .expect("read");
        assert_eq!(info.icc.as_deref(), Some(&b"profile"[..]));
        assert_eq!(info.exif.as_deref(), Some(&b"MM\0*"[..]));
        let big = walk(&riff(&[real(b"ICCP", b"a profile")]), &limits).expect("read");
        assert_eq!((big.icc, big.notes.len()), (None, 1));
        for hostile in [
            real(b"XMP ", b"<x:xmpmeta><script>alert(1)</script>"),
            real(b"EXIF", b"MM\0*<html><body>"),
        ] {
            let err = walk(&riff(&[hostile]), &limits).expect_err("markup");
            assert_eq!(err.code(), codes::MARKUP_IN_METADATA);
        }
    }
}
