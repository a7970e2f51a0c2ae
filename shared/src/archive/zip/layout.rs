//! Where every byte of an archive comes from, computed before a byte is written.
//!
//! With sizes and CRC-32s known up front, an archive is a fixed sequence of segments: header
//! bytes we generate, and byte ranges of the originals. [`ZipLayout::segments`] yields the
//! segments covering any byte range, so any part of a multipart upload can be produced on
//! its own, at any time, in memory bounded by the part: a redelivered job rebuilds exactly
//! the bytes of the part it was on.

use std::ops::Range;

use super::dos_time::DosTime;
use super::records::{self, Directory, HeaderFields};
use crate::error::{Error, Result};

/// One file of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipEntry {
    /// Name inside the archive (already sanitised and unique).
    pub name: String,
    /// Size of the data in bytes.
    pub size: u64,
    /// CRC-32 (IEEE) of the data.
    pub crc32: u32,
    /// Modification time shown by readers.
    pub modified: DosTime,
}

impl ZipEntry {
    fn fields(&self) -> HeaderFields<'_> {
        HeaderFields {
            name: &self.name,
            size: self.size,
            crc32: self.crc32,
            modified: self.modified,
        }
    }
}

/// A piece of the archive's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Header bytes, as they are.
    Literal(Vec<u8>),
    /// `len` bytes of entry `entry`'s data from `offset`.
    Data {
        /// Index of the entry (in the order given to [`ZipLayout::new`]).
        entry: usize,
        /// Offset within the entry's data.
        offset: u64,
        /// Number of bytes.
        len: u64,
    },
}

#[derive(Debug, Clone, Copy)]
struct Placement {
    /// Offset of the local header.
    local: u64,
    /// Offset of the data (just after the local header).
    data: u64,
    /// Offset just after the data.
    end: u64,
    /// Offset of the central directory header.
    central: u64,
}

/// The complete plan of one archive.
#[derive(Debug, Clone)]
pub struct ZipLayout {
    entries: Vec<ZipEntry>,
    placements: Vec<Placement>,
    directory: Directory,
    forced_zip64: bool,
    total: u64,
}

fn too_large() -> Error {
    Error::too_large("archive_too_large", "the archive would be too large")
}

impl ZipLayout {
    /// Lays out `entries` in order; ZIP64 only where sizes, offsets or the count need it.
    pub fn new(entries: Vec<ZipEntry>) -> Result<Self> {
        Self::build(entries, false)
    }

    /// Like [`ZipLayout::new`] with every header in its ZIP64 form, for checking that
    /// readers understand the records on an archive small enough for a unit test.
    pub fn with_zip64_forced(entries: Vec<ZipEntry>) -> Result<Self> {
        Self::build(entries, true)
    }

    fn build(entries: Vec<ZipEntry>, forced: bool) -> Result<Self> {
        let mut placements = Vec::with_capacity(entries.len());
        let mut offset = 0u64;
        for entry in &entries {
            if entry.name.is_empty() || entry.name.len() > usize::from(u16::MAX) - 64 {
                return Err(Error::internal_msg(
                    "zip entry names must be sanitised first",
                ));
            }
            let local = offset;
            let header = records::local_header_len(entry.name.len(), entry.size, forced);
            let data = local.checked_add(header).ok_or_else(too_large)?;
            offset = data.checked_add(entry.size).ok_or_else(too_large)?;
            placements.push(Placement {
                local,
                data,
                end: offset,
                central: 0,
            });
        }
        let directory_offset = offset;
        for (entry, placement) in entries.iter().zip(placements.iter_mut()) {
            placement.central = offset;
            let len =
                records::central_header_len(entry.name.len(), entry.size, placement.local, forced);
            offset = offset.checked_add(len).ok_or_else(too_large)?;
        }
        let directory = Directory {
            entries: entries.len() as u64,
            offset: directory_offset,
            size: offset - directory_offset,
        };
        let total = offset
            .checked_add(records::tail_len(&directory, forced))
            .ok_or_else(too_large)?;
        Ok(Self {
            entries,
            placements,
            directory,
            forced_zip64: forced,
            total,
        })
    }

    /// The archive's exact size in bytes.
    pub fn total_bytes(&self) -> u64 {
        self.total
    }

    /// The entries, in archive order.
    pub fn entries(&self) -> &[ZipEntry] {
        &self.entries
    }

    /// How many entries have all their data before `offset` (progress shown to viewers).
    pub fn entries_complete_before(&self, offset: u64) -> usize {
        self.placements.partition_point(|p| p.end <= offset)
    }

    /// The segments that make up bytes `range` of the archive, in order; adjacent header
    /// bytes are merged into one literal. A range past the end is cut at the end.
    pub fn segments(&self, range: Range<u64>) -> Vec<Segment> {
        let end = range.end.min(self.total);
        let mut out = Segments::default();
        let mut pos = range.start;
        if pos >= end {
            return out.0;
        }
        let forced = self.forced_zip64;
        // Local headers and data.
        if pos < self.directory.offset {
            let mut i = self
                .placements
                .partition_point(|p| p.local <= pos)
                .saturating_sub(1);
            while pos < end && pos < self.directory.offset {
                let (Some(entry), Some(place)) = (self.entries.get(i), self.placements.get(i))
                else {
                    break;
                };
                if pos < place.data {
                    let header = records::local_header(&entry.fields(), forced);
                    out.literal(
                        &header,
                        pos - place.local,
                        end.min(place.data) - place.local,
                    );
                    pos = end.min(place.data);
                }
                if pos < end && pos < place.end {
                    let len = end.min(place.end) - pos;
                    out.0.push(Segment::Data {
                        entry: i,
                        offset: pos - place.data,
                        len,
                    });
                    pos += len;
                }
                i += 1;
            }
        }
        // Central directory.
        let directory_end = self.directory.offset + self.directory.size;
        if pos < end && pos < directory_end {
            let mut i = self
                .placements
                .partition_point(|p| p.central <= pos)
                .saturating_sub(1);
            while pos < end && pos < directory_end {
                let (Some(entry), Some(place)) = (self.entries.get(i), self.placements.get(i))
                else {
                    break;
                };
                let header = records::central_header(&entry.fields(), place.local, forced);
                let header_end = place.central + header.len() as u64;
                out.literal(
                    &header,
                    pos - place.central,
                    end.min(header_end) - place.central,
                );
                pos = end.min(header_end);
                i += 1;
            }
        }
        // End records.
        if pos < end {
            let tail = records::tail(&self.directory, forced);
            out.literal(&tail, pos - directory_end, end - directory_end);
        }
        out.0
    }
}

#[derive(Default)]
struct Segments(Vec<Segment>);

impl Segments {
    /// Appends `bytes[from..to]`, joining it to a literal just before it.
    fn literal(&mut self, bytes: &[u8], from: u64, to: u64) {
        let Some(slice) = bytes.get(from as usize..to as usize) else {
            return;
        };
        if let Some(Segment::Literal(last)) = self.0.last_mut() {
            last.extend_from_slice(slice);
        } else {
            self.0.push(Segment::Literal(slice.to_vec()));
        }
    }
}

#[cfg(test)]
#[path = "layout_tests.rs"]
mod tests;
