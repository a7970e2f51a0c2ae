//! The on-disk record of an object or a part: the body, then its metadata, in ONE file.
//!
//! Layout: `body ‖ JSON metadata ‖ u32 big-endian length of the JSON`. Keeping the metadata
//! (content type, ETag) in the same file as the body — a trailing "sidecar" — means a single
//! `rename` publishes both, so a reader never pairs new bytes with an old ETag. Putting it
//! at the end lets bodies stream to disk before their ETag is known (multipart parts).
//!
//! An object completed from a multipart upload is a *composite* record: an empty body and
//! metadata listing the part files that hold the bytes ([`PartList`], [`super::composite`]),
//! so completing costs a record, not a copy of every byte.
//!
//! Writes go to a temporary file, are fsynced, then renamed over the destination
//! ([`Temp::commit`]): readers see the old record or the new one, never a torn one.
//!
//! Everything but [`Writer`] is blocking `std::fs`: callers run a whole operation as one
//! task in the blocking pool, instead of one task (and a staging copy) per system call as
//! `tokio::fs` does.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use crate::error::{Error, Result};

/// Metadata stored after a body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// `Content-Type` to serve the body with (empty for parts).
    pub content_type: String,
    /// The ETag, quoted as S3 sends it: `"<hex SHA-256>"`, or `"<hex>-<parts>"` for
    /// objects assembled from parts.
    pub etag: String,
    /// For a composite object: where its bytes are (its own body is then empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts: Option<PartList>,
}

/// The parts holding a composite object's bytes, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartList {
    /// The multipart upload they came from: its staging directory became the object's
    /// parts directory ([`super::composite::parts_dir`]).
    pub upload: String,
    /// `(part number, body bytes)` of each part, in object order. Pairs rather than named
    /// fields keep 10,000 of them within [`MAX_META`].
    pub parts: Vec<(u32, u64)>,
}

/// Metadata beyond this size means the file is not one of ours (10,000 parts take ~200 KB).
const MAX_META: u32 = 1024 * 1024;

/// Bytes read from a record's end at once: the length and, nearly always, the metadata.
const TAIL_READ: u64 = 4096;

/// Largest single `write`. Larger writes let the page cache take large folios, which on a
/// VM that hands free memory back to its host (virtio-balloon free page reporting) fault
/// in from the host on first touch. Measured on the 2-core dev VM after 4 s idle: `dd` of
/// 500 MB took 1.69 s in 2 MiB writes, 0.19 s in 1 MiB and 0.13 s in 128 KiB ones; an
/// archive build of 500 MB spent 0.95 s in the kernel with 1 MiB writes, 0.32 s with these.
const WRITE_SLICE: usize = 128 * 1024;

pub(crate) fn io_error(what: &'static str, err: std::io::Error) -> Error {
    if Error::is_disk_full(&err) {
        return Error::storage_full(super::STORAGE_FULL_MESSAGE);
    }
    Error::internal(format!("filesystem blob store: {what}"), err)
}

fn corrupt() -> Error {
    Error::internal_msg("filesystem blob store: a record is corrupt")
}

/// What a commit replaced: the parts of a composite object now unreferenced, for the
/// caller to remove ([`super::FsBlobs::discard`]).
pub type Replaced = Option<PartList>;

/// A temporary file removed on drop unless published.
#[derive(Debug)]
struct TempPath {
    path: PathBuf,
    published: bool,
}

impl Drop for TempPath {
    fn drop(&mut self) {
        if !self.published {
            // Best effort: a leftover `.tmp-` file is invisible to readers and listings.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Whether [`Temp::create`] may create the directory it writes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirPolicy {
    /// Create it (and its parents) if missing: an object's directory.
    Create,
    /// It must exist: a multipart upload's, which is gone once completed or aborted (and
    /// must not come back with a stray part in it).
    MustExist,
}

/// A record being written with blocking I/O.
#[derive(Debug)]
pub struct Temp {
    file: File,
    temp: TempPath,
}

impl Temp {
    /// Starts a record in `dir`; `NotFound` when `dir` is missing under
    /// [`DirPolicy::MustExist`].
    pub fn create(dir: &Path, policy: DirPolicy) -> Result<Self> {
        let path = dir.join(format!(".tmp-{}", ulid::Ulid::generate()));
        // A concurrent delete may prune the directory between the two calls: try again.
        let mut attempts = 0;
        let file = loop {
            if policy == DirPolicy::Create {
                std::fs::create_dir_all(dir).map_err(|e| io_error("creating a directory", e))?;
            }
            match File::create_new(&path) {
                Ok(file) => break file,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    if policy == DirPolicy::MustExist {
                        return Err(Error::not_found("directory_gone", "the directory is gone"));
                    }
                    if attempts == 3 {
                        return Err(io_error("creating a temporary file", e));
                    }
                    attempts += 1;
                }
                Err(e) => return Err(io_error("creating a temporary file", e)),
            }
        };
        Ok(Self {
            file,
            temp: TempPath {
                path,
                published: false,
            },
        })
    }

    /// Appends body bytes, in slices of at most [`WRITE_SLICE`].
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        for slice in bytes.chunks(WRITE_SLICE) {
            self.file
                .write_all(slice)
                .map_err(|e| io_error("writing", e))?;
        }
        Ok(())
    }

    /// Makes the body written so far durable, so that the commit's own sync has only the
    /// metadata left to write (callers overlap this with hashing the body).
    pub fn sync(&self) -> Result<()> {
        self.file.sync_data().map_err(|e| io_error("syncing", e))
    }

    /// Writes the metadata, makes the file durable and renames it to `destination`
    /// (creating its directory if a concurrent delete pruned it). Returns what it replaced.
    pub fn commit(mut self, meta: &Meta, destination: &Path) -> Result<Replaced> {
        let json = serde_json::to_vec(meta).map_err(|e| Error::internal("record metadata", e))?;
        let len = u32::try_from(json.len())
            .ok()
            .filter(|len| *len <= MAX_META)
            .ok_or_else(|| Error::invalid("invalid_metadata", "object metadata is too large"))?;
        let mut trailer = json;
        trailer.extend_from_slice(&len.to_be_bytes());
        self.file
            .write_all(&trailer)
            .map_err(|e| io_error("writing", e))?;
        self.file.sync_all().map_err(|e| io_error("syncing", e))?;
        let replaced = replaced_parts(destination);
        rename_into(&self.temp.path, destination)?;
        self.temp.published = true;
        Ok(replaced)
    }
}

/// The parts of the composite record at `path`, if it is one. Unreadable means nothing
/// to clean up: a damaged record must not block the write that replaces it.
fn replaced_parts(path: &Path) -> Replaced {
    open(path)
        .ok()
        .flatten()
        .and_then(|opened| opened.meta.parts)
}

/// Renames `from` to `to`, recreating `to`'s directory if it went missing meanwhile (a
/// delete prunes empty directories; a composite record is written outside it). `NotFound`
/// if `from` itself is gone (its directory moved: a completed upload's).
fn rename_into(from: &Path, to: &Path) -> Result<()> {
    let mut attempts = 0;
    loop {
        match std::fs::rename(from, to) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !from.exists() => {
                return Err(Error::not_found("directory_gone", "the directory is gone"));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && attempts < 3 => {
                let dir = to
                    .parent()
                    .ok_or_else(|| Error::internal_msg("a record path has no directory"))?;
                std::fs::create_dir_all(dir).map_err(|e| io_error("creating a directory", e))?;
                attempts += 1;
            }
            Err(e) => return Err(io_error("publishing", e)),
        }
    }
}

/// Writes a whole record at once in `destination`'s directory; returns what it replaced.
pub fn write(destination: &Path, policy: DirPolicy, body: &[u8], meta: &Meta) -> Result<Replaced> {
    let dir = destination
        .parent()
        .ok_or_else(|| Error::internal_msg("a record path has no directory"))?;
    write_to(dir, destination, policy, body, meta)
}

/// Writes a whole record at once, its temporary file in `temp_dir` (same filesystem);
/// returns what it replaced.
pub fn write_to(
    temp_dir: &Path,
    destination: &Path,
    policy: DirPolicy,
    body: &[u8],
    meta: &Meta,
) -> Result<Replaced> {
    let mut temp = Temp::create(temp_dir, policy)?;
    temp.write(body)?;
    temp.commit(meta, destination)
}

/// A record written from an async stream (an HTTP body): chunks go through `tokio::fs`,
/// whose write-behind overlaps the disk with the network; the commit is blocking.
#[derive(Debug)]
pub struct Writer {
    file: tokio::fs::File,
    temp: TempPath,
    written: u64,
}

impl Writer {
    /// Starts a record in `dir` (see [`Temp::create`]).
    pub async fn create(dir: &Path, policy: DirPolicy) -> Result<Self> {
        let dir = dir.to_owned();
        let temp = blocking(move || Temp::create(&dir, policy)).await?;
        let Temp { file, temp } = temp;
        Ok(Self {
            file: tokio::fs::File::from_std(file),
            temp,
            written: 0,
        })
    }

    /// Appends body bytes.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.file
            .write_all(chunk)
            .await
            .map_err(|e| io_error("writing", e))?;
        self.written += chunk.len() as u64;
        Ok(())
    }

    /// Body bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// See [`Temp::commit`].
    pub async fn commit(mut self, meta: &Meta, destination: &Path) -> Result<Replaced> {
        self.file
            .flush()
            .await
            .map_err(|e| io_error("writing", e))?;
        let temp = Temp {
            file: self.file.into_std().await,
            temp: self.temp,
        };
        let (meta, destination) = (meta.clone(), destination.to_owned());
        blocking(move || temp.commit(&meta, &destination)).await
    }
}

/// Runs blocking file work in tokio's blocking pool.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::internal("filesystem blob store: a blocking task failed", e))?
}

/// An open record: its metadata, body length, and the file.
#[derive(Debug)]
pub struct Opened {
    /// The metadata.
    pub meta: Meta,
    /// Length of the record's own body (empty for a composite object).
    pub body_len: u64,
    /// The file; the body is its first `body_len` bytes.
    pub file: File,
}

/// Opens a record; `Ok(None)` when it does not exist.
pub fn open(path: &Path) -> Result<Option<Opened>> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error("opening", e)),
    };
    let total = file
        .metadata()
        .map_err(|e| io_error("reading metadata", e))?
        .len();
    let tail = read_at(
        &mut file,
        total.saturating_sub(TAIL_READ),
        TAIL_READ.min(total),
    )?;
    let (rest, len) = tail.split_last_chunk::<4>().ok_or_else(corrupt)?;
    let meta_len = u32::from_be_bytes(*len);
    if meta_len > MAX_META || u64::from(meta_len) + 4 > total {
        return Err(corrupt());
    }
    let body_len = total - 4 - u64::from(meta_len);
    let json = match rest.len().checked_sub(meta_len as usize) {
        Some(start) => rest.get(start..).ok_or_else(corrupt)?.to_vec(),
        None => read_at(&mut file, body_len, u64::from(meta_len))?,
    };
    let meta: Meta = serde_json::from_slice(&json).map_err(|_| corrupt())?;
    Ok(Some(Opened {
        meta,
        body_len,
        file,
    }))
}

/// Exactly `len` bytes of `file` from `offset` (a shorter file is corrupt). The buffer is
/// filled by the read itself, never zeroed first.
pub fn read_at(file: &mut File, offset: u64, len: u64) -> Result<Vec<u8>> {
    let mut buffer = Vec::new();
    read_at_into(file, offset, len, &mut buffer)?;
    Ok(buffer)
}

/// [`read_at`], appending to `buffer`.
pub fn read_at_into(file: &mut File, offset: u64, len: u64, buffer: &mut Vec<u8>) -> Result<()> {
    let want = usize::try_from(len).map_err(|_| corrupt())?;
    buffer
        .try_reserve_exact(want)
        .map_err(|e| Error::internal("read buffer", e))?;
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| io_error("seeking", e))?;
    let read = Read::by_ref(file)
        .take(len)
        .read_to_end(buffer)
        .map_err(|e| io_error("reading", e))?;
    if read == want { Ok(()) } else { Err(corrupt()) }
}
