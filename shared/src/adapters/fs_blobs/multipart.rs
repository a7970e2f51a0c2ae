//! Multipart uploads: parts staged under `<root>/uploads/<upload id>/`, assembled on
//! completion into one atomic object write, with S3's rules (part numbers 1..=10000,
//! 5 MiB minimum for every part but the last, ascending order, matching ETags).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::record::{self, Meta, io_error};
use super::{FsBlobs, etag_of, same_etag};
use crate::error::{Error, Result};
use crate::ports::blobs::{CompletedPart, PartInfo};

/// Highest part number S3 accepts.
pub const MAX_PART_NUMBER: u32 = 10_000;
/// Smallest size of every part but the last, as in S3.
pub const MIN_PART_BYTES: u64 = 5 * 1024 * 1024;
/// Largest part S3 accepts.
pub const MAX_PART_BYTES: u64 = 5 * 1024 * 1024 * 1024;

const MANIFEST: &str = "upload.json";
const PART_SUFFIX: &str = ".part";

/// What an upload is for, written when it starts.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    key: String,
    content_type: String,
}

/// An upload known to exist for the key it was asked for.
#[derive(Debug)]
pub(super) struct Upload {
    pub dir: PathBuf,
    content_type: String,
}

impl Upload {
    pub fn part_file(&self, part_number: u32) -> PathBuf {
        self.dir.join(format!("{part_number:05}{PART_SUFFIX}"))
    }
}

fn no_such_upload() -> Error {
    Error::not_found("no_such_upload", "the multipart upload does not exist")
}

pub(super) fn check_part_number(part_number: u32) -> Result<()> {
    if (1..=MAX_PART_NUMBER).contains(&part_number) {
        Ok(())
    } else {
        Err(Error::invalid(
            "invalid_part_number",
            "part numbers are 1 to 10000",
        ))
    }
}

/// The staging directory of `upload_id`, if the id has the shape we issue (a ULID), so a
/// crafted id can never name a path outside `uploads/`.
fn upload_dir(blobs: &FsBlobs, upload_id: &str) -> Option<PathBuf> {
    let id = ulid::Ulid::from_string(upload_id).ok()?;
    Some(blobs.uploads.join(id.to_string()))
}

pub(super) async fn create(blobs: &FsBlobs, key: &str, content_type: &str) -> Result<String> {
    super::key::validate(key)?;
    let id = ulid::Ulid::generate().to_string();
    let dir = blobs.uploads.join(&id);
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| io_error("creating an upload", e))?;
    let manifest = serde_json::to_vec(&Manifest {
        key: key.to_owned(),
        content_type: content_type.to_owned(),
    })
    .map_err(|e| Error::internal("upload manifest", e))?;
    tokio::fs::write(dir.join(MANIFEST), manifest)
        .await
        .map_err(|e| io_error("writing an upload manifest", e))?;
    Ok(id)
}

/// The upload, if it exists and belongs to `key` (S3 treats another key as no such upload).
pub(super) async fn load(blobs: &FsBlobs, key: &str, upload_id: &str) -> Result<Upload> {
    let dir = upload_dir(blobs, upload_id).ok_or_else(no_such_upload)?;
    let manifest = match tokio::fs::read(dir.join(MANIFEST)).await {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(no_such_upload()),
        Err(e) => return Err(io_error("reading an upload manifest", e)),
    };
    let manifest: Manifest = serde_json::from_slice(&manifest)
        .map_err(|e| Error::internal("corrupt upload manifest", e))?;
    if manifest.key != key {
        return Err(no_such_upload());
    }
    Ok(Upload {
        dir,
        content_type: manifest.content_type,
    })
}

pub(super) async fn upload_part(
    blobs: &FsBlobs,
    key: &str,
    upload_id: &str,
    part_number: u32,
    body: &[u8],
) -> Result<String> {
    check_part_number(part_number)?;
    if body.len() as u64 > MAX_PART_BYTES {
        return Err(Error::too_large(
            "entity_too_large",
            "parts are at most 5 GiB",
        ));
    }
    let upload = load(blobs, key, upload_id).await?;
    let etag = etag_of(&Sha256::digest(body));
    let meta = Meta {
        content_type: String::new(),
        etag: etag.clone(),
    };
    record::write(&upload.part_file(part_number), body, &meta).await?;
    Ok(etag)
}

pub(super) async fn list_parts(
    blobs: &FsBlobs,
    key: &str,
    upload_id: &str,
) -> Result<Vec<PartInfo>> {
    let upload = load(blobs, key, upload_id).await?;
    let mut entries = tokio::fs::read_dir(&upload.dir)
        .await
        .map_err(|e| io_error("listing parts", e))?;
    let mut parts = Vec::new();
    while let Some(entry) = entries
        .next_entry()
        .await
        .map_err(|e| io_error("listing parts", e))?
    {
        let name = entry.file_name();
        let Some(part_number) = name
            .to_str()
            .and_then(|n| n.strip_suffix(PART_SUFFIX))
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(opened) = record::open(&entry.path()).await? {
            parts.push(PartInfo {
                part_number,
                etag: Some(opened.meta.etag),
                bytes: opened.body_len,
            });
        }
    }
    parts.sort_unstable_by_key(|p| p.part_number);
    Ok(parts)
}

pub(super) async fn complete(
    blobs: &FsBlobs,
    key: &str,
    upload_id: &str,
    parts: &[CompletedPart],
) -> Result<()> {
    let upload = load(blobs, key, upload_id).await?;
    if parts.is_empty() {
        return Err(Error::invalid(
            "malformed_parts",
            "a multipart upload needs at least one part",
        ));
    }
    if parts.windows(2).any(|w| match w {
        [a, b] => a.part_number >= b.part_number,
        _ => false,
    }) {
        return Err(Error::invalid(
            "invalid_part_order",
            "parts must be listed in ascending order",
        ));
    }
    // Check everything before writing anything: a refused completion leaves the upload intact.
    let mut opened = Vec::with_capacity(parts.len());
    let mut digests = Sha256::new();
    for (i, part) in parts.iter().enumerate() {
        check_part_number(part.part_number)?;
        let invalid_part = || {
            Error::invalid(
                "invalid_part",
                format!(
                    "part {} was not uploaded or its ETag does not match",
                    part.part_number
                ),
            )
        };
        let record = record::open(&upload.part_file(part.part_number))
            .await?
            .ok_or_else(invalid_part)?;
        if !same_etag(&record.meta.etag, &part.etag) {
            return Err(invalid_part());
        }
        if i + 1 < parts.len() && record.body_len < MIN_PART_BYTES {
            return Err(Error::invalid(
                "entity_too_small",
                format!("part {} is smaller than 5 MiB", part.part_number),
            ));
        }
        let raw = hex::decode(record.meta.etag.trim_matches('"'))
            .map_err(|e| Error::internal("corrupt part ETag", e))?;
        digests.update(&raw);
        opened.push(record);
    }
    let final_path = blobs.object_file(key)?;
    let dir = final_path
        .parent()
        .ok_or_else(|| Error::internal_msg("an object path has no directory"))?;
    let mut writer = record::Writer::create(dir).await?;
    for record in opened {
        record.copy_body_to(&mut writer).await?;
    }
    let meta = Meta {
        content_type: upload.content_type.clone(),
        etag: format!("\"{}-{}\"", hex::encode(digests.finalize()), parts.len()),
    };
    let bytes = writer.written();
    writer.commit(&meta, &final_path).await?;
    blobs.announce(key, bytes, meta.etag);
    match tokio::fs::remove_dir_all(&upload.dir).await {
        // A completion of the same upload running at the same time removed it first.
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(io_error("removing a completed upload", e));
        }
        _ => {}
    }
    tracing::debug!(key, upload_id, parts = parts.len(), "multipart completed");
    Ok(())
}

pub(super) async fn abort(blobs: &FsBlobs, key: &str, upload_id: &str) -> Result<()> {
    let upload = match load(blobs, key, upload_id).await {
        Ok(upload) => upload,
        Err(Error::NotFound { .. }) => return Ok(()),
        Err(e) => return Err(e),
    };
    match tokio::fs::remove_dir_all(&upload.dir).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error("aborting an upload", e)),
    }
}
