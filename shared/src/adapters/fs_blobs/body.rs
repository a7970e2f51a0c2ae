//! Reading an object's bytes, wherever they are: in its record, or in the part files of a
//! composite object ([`super::composite`]), where one read may cross part boundaries.
//!
//! A reader that found a composite record may find a part file gone: the object was
//! replaced or deleted after its record was read (the parts go only after the record that
//! names them). [`read_fresh`] then reads the record again, so the caller sees the old
//! object or what replaced it, never a mix. A stream ([`Cursor`]) cannot start over once
//! bytes are sent: it ends with an error, as a dropped connection would.

use std::fs::File;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::composite;
use super::record::{self, Meta};
use crate::error::{Error, Result};

/// An open object.
#[derive(Debug)]
pub struct Object {
    /// Its metadata (content type, ETag).
    pub meta: Meta,
    /// Its size in bytes.
    pub len: u64,
    source: Source,
}

#[derive(Debug)]
enum Source {
    /// The body at the start of the record file.
    Inline(File),
    /// The bodies of part files, one after the other.
    Parts {
        dir: PathBuf,
        spans: Vec<Span>,
        /// The part file read last, kept open for the next read (streams read in order).
        open: Option<(usize, File)>,
    },
}

/// Where one part's body sits in the object.
#[derive(Debug, Clone, Copy)]
struct Span {
    number: u32,
    start: u64,
    len: u64,
}

/// Why a read failed.
#[derive(Debug)]
pub enum ReadError {
    /// A part file is gone: the object changed since its record was read.
    Vanished,
    /// Anything else.
    Failed(Error),
}

impl From<Error> for ReadError {
    fn from(error: Error) -> Self {
        Self::Failed(error)
    }
}

/// Opens the object whose record is `path` (`objects` is the store's objects directory);
/// `Ok(None)` when it does not exist.
pub fn open(objects: &Path, path: &Path) -> Result<Option<Object>> {
    let Some(opened) = record::open(path)? else {
        return Ok(None);
    };
    let Some(list) = &opened.meta.parts else {
        return Ok(Some(Object {
            len: opened.body_len,
            meta: opened.meta,
            source: Source::Inline(opened.file),
        }));
    };
    let dir = composite::parts_dir(objects, &list.upload)?;
    let mut start = 0u64;
    let mut spans = Vec::with_capacity(list.parts.len());
    for &(number, len) in &list.parts {
        spans.push(Span { number, start, len });
        start = start
            .checked_add(len)
            .ok_or_else(|| Error::internal_msg("filesystem blob store: a record is corrupt"))?;
    }
    Ok(Some(Object {
        len: start,
        meta: opened.meta,
        source: Source::Parts {
            dir,
            spans,
            open: None,
        },
    }))
}

/// Opens the object at `path` and reads it with `read`, opening it again (a few times)
/// when a part vanished under the read. `Ok(None)` when there is no object.
pub fn read_fresh<T>(
    objects: &Path,
    path: &Path,
    mut read: impl FnMut(&mut Object) -> std::result::Result<T, ReadError>,
) -> Result<Option<T>> {
    for _ in 0..3 {
        let Some(mut object) = open(objects, path)? else {
            return Ok(None);
        };
        match read(&mut object) {
            Ok(value) => return Ok(Some(value)),
            Err(ReadError::Vanished) => continue,
            Err(ReadError::Failed(error)) => return Err(error),
        }
    }
    Err(Error::transient(
        "the object kept changing while it was read",
        "filesystem blob store: parts vanished three times",
    ))
}

impl Object {
    /// Bytes `offset .. offset + len`, cut at the object's end.
    #[cfg(test)]
    pub fn read(&mut self, offset: u64, len: u64) -> std::result::Result<Vec<u8>, ReadError> {
        let mut buffer = Vec::new();
        self.read_into(offset, len, &mut buffer)?;
        Ok(buffer)
    }

    /// Appends bytes `offset .. offset + len`, cut at the object's end, to `buffer`.
    pub fn read_into(
        &mut self,
        offset: u64,
        len: u64,
        buffer: &mut Vec<u8>,
    ) -> std::result::Result<(), ReadError> {
        let start = offset.min(self.len);
        let end = start + len.min(self.len - start);
        let mut at = start;
        while at < end {
            at += self.read_within_part(at, end - at, buffer)?;
        }
        Ok(())
    }

    /// Appends up to `len` bytes from `offset` (inside the object), stopping at the end of
    /// the part holding `offset`; returns how many.
    fn read_within_part(
        &mut self,
        offset: u64,
        len: u64,
        buffer: &mut Vec<u8>,
    ) -> std::result::Result<u64, ReadError> {
        match &mut self.source {
            Source::Inline(file) => {
                record::read_at_into(file, offset, len, buffer)?;
                Ok(len)
            }
            Source::Parts { dir, spans, open } => {
                let index = spans.partition_point(|s| s.start + s.len <= offset);
                let span = *spans.get(index).ok_or_else(|| {
                    Error::internal_msg("filesystem blob store: a read past the last part")
                })?;
                let file = match open {
                    Some((open_index, file)) if *open_index == index => file,
                    _ => &mut open.insert((index, open_part(dir, span.number)?)).1,
                };
                let within = offset - span.start;
                let n = len.min(span.len - within);
                record::read_at_into(file, within, n, buffer)?;
                Ok(n)
            }
        }
    }
}

fn open_part(dir: &Path, number: u32) -> std::result::Result<File, ReadError> {
    match File::open(composite::part_file(dir, number)) {
        Ok(file) => Ok(file),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ReadError::Vanished),
        Err(e) => Err(record::io_error("opening a part", e).into()),
    }
}

/// Reads `start .. end` of an object in chunks, in order (a response body).
#[derive(Debug)]
pub struct Cursor {
    object: Object,
    at: u64,
    end: u64,
}

impl Cursor {
    /// A cursor over `range` of `object` (cut at its end).
    pub fn new(object: Object, range: std::ops::Range<u64>) -> Self {
        let end = range.end.min(object.len);
        Self {
            at: range.start.min(end),
            end,
            object,
        }
    }

    /// The next chunk of at most `max` bytes, `None` at the end. Blocking.
    pub fn next_chunk(&mut self, max: u64) -> std::io::Result<Option<Bytes>> {
        if self.at >= self.end {
            return Ok(None);
        }
        let mut chunk = Vec::new();
        let n = self
            .object
            .read_within_part(self.at, max.min(self.end - self.at), &mut chunk)
            .map_err(|e| match e {
                ReadError::Vanished => std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "the object was replaced or deleted while it was sent",
                ),
                ReadError::Failed(error) => std::io::Error::other(error),
            })?;
        self.at += n;
        Ok(Some(Bytes::from(chunk)))
    }
}
