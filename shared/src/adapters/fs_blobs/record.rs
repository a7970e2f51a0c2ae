//! The on-disk record of an object or a part: the body, then its metadata, in ONE file.
//!
//! Layout: `body ‖ JSON metadata ‖ u32 big-endian length of the JSON`. Keeping the metadata
//! (content type, ETag) in the same file as the body — a trailing "sidecar" — means a single
//! `rename` publishes both, so a reader never pairs new bytes with an old ETag. Putting it
//! at the end lets bodies stream to disk before their ETag is known (multipart parts).
//!
//! Writes go to a temporary file in the destination directory, are fsynced, then renamed
//! over the destination: readers see the old record or the new one, never a torn one.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::error::{Error, Result};

/// Metadata stored after a body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// `Content-Type` to serve the body with (empty for parts).
    pub content_type: String,
    /// The ETag, quoted as S3 sends it: `"<hex SHA-256>"`, or `"<hex>-<parts>"` for
    /// objects assembled from parts.
    pub etag: String,
}

/// Metadata beyond this size means the file is not one of ours.
const MAX_META: u32 = 64 * 1024;

pub(crate) fn io_error(what: &'static str, err: std::io::Error) -> Error {
    Error::internal(format!("filesystem blob store: {what}"), err)
}

/// A record being written. Dropping it without [`Writer::commit`] removes the temp file.
#[derive(Debug)]
pub struct Writer {
    file: tokio::fs::File,
    temp: PathBuf,
    written: u64,
    committed: bool,
}

impl Writer {
    /// Starts a record that will be published in `dir` (created if missing).
    pub async fn create(dir: &Path) -> Result<Self> {
        let temp = dir.join(format!(".tmp-{}", ulid::Ulid::generate()));
        // A concurrent delete may prune the directory between the two calls: try again.
        let mut attempts = 0;
        let file = loop {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| io_error("creating a directory", e))?;
            match tokio::fs::File::create(&temp).await {
                Ok(file) => break file,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && attempts < 3 => {
                    attempts += 1;
                }
                Err(e) => return Err(io_error("creating a temporary file", e)),
            }
        };
        Ok(Self {
            file,
            temp,
            written: 0,
            committed: false,
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

    /// Writes the metadata, makes the file durable and renames it to `destination`.
    pub async fn commit(mut self, meta: &Meta, destination: &Path) -> Result<()> {
        let json = serde_json::to_vec(meta).map_err(|e| Error::internal("record metadata", e))?;
        let len = u32::try_from(json.len())
            .ok()
            .filter(|len| *len <= MAX_META)
            .ok_or_else(|| Error::invalid("invalid_metadata", "object metadata is too large"))?;
        self.file
            .write_all(&json)
            .await
            .map_err(|e| io_error("writing", e))?;
        self.file
            .write_all(&len.to_be_bytes())
            .await
            .map_err(|e| io_error("writing", e))?;
        self.file
            .sync_all()
            .await
            .map_err(|e| io_error("syncing", e))?;
        tokio::fs::rename(&self.temp, destination)
            .await
            .map_err(|e| io_error("publishing", e))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: a leftover `.tmp-` file is invisible to readers and listings.
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Writes a whole record at once.
pub async fn write(destination: &Path, body: &[u8], meta: &Meta) -> Result<()> {
    let dir = destination
        .parent()
        .ok_or_else(|| Error::internal_msg("a record path has no directory"))?;
    let mut writer = Writer::create(dir).await?;
    writer.write(body).await?;
    writer.commit(meta, destination).await
}

/// An open record: its metadata, body length, and the file positioned nowhere in particular.
#[derive(Debug)]
pub struct Opened {
    /// The metadata.
    pub meta: Meta,
    /// Body length in bytes.
    pub body_len: u64,
    file: tokio::fs::File,
}

fn corrupt() -> Error {
    Error::internal_msg("filesystem blob store: a record is corrupt")
}

/// Opens a record; `Ok(None)` when it does not exist.
pub async fn open(path: &Path) -> Result<Option<Opened>> {
    let mut file = match tokio::fs::File::open(path).await {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error("opening", e)),
    };
    let total = file
        .metadata()
        .await
        .map_err(|e| io_error("reading metadata", e))?
        .len();
    if total < 4 {
        return Err(corrupt());
    }
    file.seek(SeekFrom::Start(total - 4))
        .await
        .map_err(|e| io_error("seeking", e))?;
    let mut len = [0u8; 4];
    file.read_exact(&mut len)
        .await
        .map_err(|e| io_error("reading", e))?;
    let meta_len = u32::from_be_bytes(len);
    if meta_len > MAX_META || u64::from(meta_len) + 4 > total {
        return Err(corrupt());
    }
    let body_len = total - 4 - u64::from(meta_len);
    file.seek(SeekFrom::Start(body_len))
        .await
        .map_err(|e| io_error("seeking", e))?;
    let mut json = vec![0u8; meta_len as usize];
    file.read_exact(&mut json)
        .await
        .map_err(|e| io_error("reading", e))?;
    let meta: Meta = serde_json::from_slice(&json).map_err(|_| corrupt())?;
    Ok(Some(Opened {
        meta,
        body_len,
        file,
    }))
}

impl Opened {
    /// Reads the whole body.
    pub async fn body(mut self) -> Result<Bytes> {
        self.file
            .seek(SeekFrom::Start(0))
            .await
            .map_err(|e| io_error("seeking", e))?;
        let len = usize::try_from(self.body_len).map_err(|_| corrupt())?;
        let mut body = vec![0u8; len];
        self.file
            .read_exact(&mut body)
            .await
            .map_err(|e| io_error("reading", e))?;
        Ok(Bytes::from(body))
    }

    /// Body bytes `offset .. offset + len`, cut at the body's end.
    pub async fn body_range(mut self, offset: u64, len: u64) -> Result<Bytes> {
        let start = offset.min(self.body_len);
        let want = len.min(self.body_len - start);
        let want = usize::try_from(want).map_err(|_| corrupt())?;
        if want == 0 {
            return Ok(Bytes::new());
        }
        self.file
            .seek(SeekFrom::Start(start))
            .await
            .map_err(|e| io_error("seeking", e))?;
        let mut body = vec![0u8; want];
        self.file
            .read_exact(&mut body)
            .await
            .map_err(|e| io_error("reading", e))?;
        Ok(Bytes::from(body))
    }

    /// A reader of exactly the body (not the metadata after it).
    pub async fn into_body_reader(mut self) -> Result<tokio::io::Take<tokio::fs::File>> {
        self.file
            .seek(SeekFrom::Start(0))
            .await
            .map_err(|e| io_error("seeking", e))?;
        Ok(self.file.take(self.body_len))
    }

    /// Streams the body into `writer` without holding it in memory.
    pub async fn copy_body_to(mut self, writer: &mut Writer) -> Result<()> {
        self.file
            .seek(SeekFrom::Start(0))
            .await
            .map_err(|e| io_error("seeking", e))?;
        let mut remaining = self.body_len;
        let mut buffer = vec![0u8; 256 * 1024];
        while remaining > 0 {
            let want = usize::try_from(remaining.min(buffer.len() as u64)).unwrap_or(buffer.len());
            let chunk = buffer.get_mut(..want).ok_or_else(corrupt)?;
            self.file
                .read_exact(chunk)
                .await
                .map_err(|e| io_error("reading", e))?;
            writer.write(chunk).await?;
            remaining -= want as u64;
        }
        Ok(())
    }
}
