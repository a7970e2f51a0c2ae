//! Reading originals a window at a time: the bytes of one part, and CRC-32s of originals
//! processed before the processor recorded them.

use std::ops::Range;

use futures::{StreamExt, TryStreamExt};

use super::manifest::Manifest;
use super::zip::{Segment, ZipLayout};
use crate::domain::{EventId, UserId, keys};
use crate::error::{Error, Result};
use crate::ports::Blobs;

/// Largest single read of an original.
pub const READ_BYTES: u64 = 2 * 1024 * 1024;
/// Reads in flight while assembling a part (many small photos would otherwise wait on one
/// round trip each). Memory: the part plus this many reads.
pub const READS_IN_FLIGHT: usize = 4;

/// Where the originals of an archive are.
#[derive(Debug, Clone, Copy)]
pub struct Originals<'a> {
    /// Storage.
    pub blobs: &'a dyn Blobs,
    /// The event's owner (part of every original's key).
    pub owner: &'a UserId,
    /// The event.
    pub event: EventId,
}

impl Originals<'_> {
    fn key(&self, manifest: &Manifest, entry: usize) -> Result<String> {
        let photo = manifest
            .entries
            .get(entry)
            .ok_or_else(|| Error::internal_msg("segment of an unknown entry"))?
            .photo_id;
        Ok(keys::original(self.owner, self.event, photo))
    }

    /// `len` bytes of `key` from `offset`, exactly: an original that is gone or shorter
    /// than recorded fails the archive (`Invalid`: retrying cannot bring it back).
    async fn read(&self, key: &str, offset: u64, len: u64) -> Result<bytes::Bytes> {
        let bytes = match self.blobs.get_range(key, offset, len).await {
            Ok(bytes) => bytes,
            Err(e) if e.is_not_found() => return Err(photo_deleted()),
            Err(e) => return Err(e),
        };
        if bytes.len() as u64 == len {
            Ok(bytes)
        } else {
            Err(Error::invalid(
                "original_changed",
                "a photo's original is shorter than when the archive was planned",
            ))
        }
    }
}

fn photo_deleted() -> Error {
    Error::invalid(
        "photo_deleted",
        "a photo was deleted while the archive was being built; ask for it again",
    )
}

/// The bytes of `range` of the archive.
pub async fn part_bytes(
    originals: Originals<'_>,
    manifest: &Manifest,
    layout: &ZipLayout,
    range: Range<u64>,
) -> Result<Vec<u8>> {
    let expected =
        usize::try_from(range.end - range.start).map_err(|e| Error::internal("part size", e))?;
    // Data segments are split into bounded reads; literals pass through in order.
    let mut pieces = Vec::new();
    for segment in layout.segments(range) {
        match segment {
            Segment::Literal(bytes) => pieces.push(Piece::Literal(bytes)),
            Segment::Data { entry, offset, len } => {
                let key = originals.key(manifest, entry)?;
                let mut done = 0;
                while done < len {
                    let window = READ_BYTES.min(len - done);
                    pieces.push(Piece::Read {
                        key: key.clone(),
                        offset: offset + done,
                        len: window,
                    });
                    done += window;
                }
            }
        }
    }
    let mut body = Vec::with_capacity(expected);
    let mut chunks = futures::stream::iter(pieces)
        .map(|piece| async move {
            match piece {
                Piece::Literal(bytes) => Ok(bytes::Bytes::from(bytes)),
                Piece::Read { key, offset, len } => originals.read(&key, offset, len).await,
            }
        })
        .buffered(READS_IN_FLIGHT);
    while let Some(chunk) = chunks.try_next().await? {
        body.extend_from_slice(&chunk);
    }
    if body.len() != expected {
        return Err(Error::internal_msg(
            "an archive part came out the wrong size",
        ));
    }
    Ok(body)
}

enum Piece {
    Literal(Vec<u8>),
    Read { key: String, offset: u64, len: u64 },
}

/// CRC-32 of entry `entry`'s original, streamed a window at a time.
pub async fn checksum(originals: Originals<'_>, manifest: &Manifest, entry: usize) -> Result<u32> {
    let key = originals.key(manifest, entry)?;
    let size = manifest
        .entries
        .get(entry)
        .map(|e| e.bytes)
        .ok_or_else(|| Error::internal_msg("checksum of an unknown entry"))?;
    let mut hasher = crc32fast::Hasher::new();
    let mut offset = 0;
    while offset < size {
        let window = READ_BYTES.min(size - offset);
        hasher.update(&originals.read(&key, offset, window).await?);
        offset += window;
    }
    // Longer than recorded is as wrong as shorter: the zip would cut it off.
    if !originals.blobs.get_range(&key, size, 1).await?.is_empty() {
        return Err(Error::invalid(
            "original_changed",
            "a photo's original is longer than recorded",
        ));
    }
    Ok(hasher.finalize())
}
