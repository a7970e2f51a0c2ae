//! Multipart uploads: parts staged under `<root>/uploads/<upload id>/`, completed into a
//! composite object ([`super::composite`]) by moving that directory and publishing a record
//! that lists its parts, with S3's rules (part numbers 1..=10000, 5 MiB minimum for every
//! part but the last, ascending order, matching ETags).

use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::composite;
use super::record::{self, DirPolicy, Meta, PartList, Replaced, Temp, blocking, io_error};
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

/// What an upload is for, written when it starts (and kept in a composite object's parts
/// directory, where the orphan sweep reads it).
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
        composite::part_file(&self.dir, part_number)
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
fn upload_dir(uploads: &Path, upload_id: &str) -> Option<PathBuf> {
    let id = ulid::Ulid::from_string(upload_id).ok()?;
    Some(uploads.join(id.to_string()))
}

pub(super) async fn create(blobs: &FsBlobs, key: &str, content_type: &str) -> Result<String> {
    super::key::validate(key)?;
    let id = ulid::Ulid::generate().to_string();
    let dir = blobs.uploads.join(&id);
    let manifest = serde_json::to_vec(&Manifest {
        key: key.to_owned(),
        content_type: content_type.to_owned(),
    })
    .map_err(|e| Error::internal("upload manifest", e))?;
    blocking(move || {
        std::fs::create_dir_all(&dir).map_err(|e| io_error("creating an upload", e))?;
        std::fs::write(dir.join(MANIFEST), manifest)
            .map_err(|e| io_error("writing an upload manifest", e))
    })
    .await?;
    Ok(id)
}

/// The key an upload's (or a composite object's parts) directory was made for.
pub(super) fn manifest_key(dir: &Path) -> Option<String> {
    let bytes = std::fs::read(dir.join(MANIFEST)).ok()?;
    serde_json::from_slice::<Manifest>(&bytes)
        .ok()
        .map(|m| m.key)
}

/// The upload, if it exists and belongs to `key` (S3 treats another key as no such upload).
/// Blocking.
fn load_blocking(uploads: &Path, key: &str, upload_id: &str) -> Result<Upload> {
    let dir = upload_dir(uploads, upload_id).ok_or_else(no_such_upload)?;
    let manifest = match std::fs::read(dir.join(MANIFEST)) {
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

/// [`load_blocking`] on the blocking pool.
pub(super) async fn load(blobs: &FsBlobs, key: &str, upload_id: &str) -> Result<Upload> {
    let (uploads, key, upload_id) = (blobs.uploads.clone(), key.to_owned(), upload_id.to_owned());
    blocking(move || load_blocking(&uploads, &key, &upload_id)).await
}

/// A part's record is written in the upload's directory, never creating it: an upload
/// completed or aborted meanwhile is gone, not revived.
pub(super) fn part_dir_gone(error: Error) -> Error {
    match error {
        Error::NotFound { .. } => no_such_upload(),
        other => other,
    }
}

pub(super) async fn upload_part(
    blobs: &FsBlobs,
    key: &str,
    upload_id: &str,
    part_number: u32,
    body: Bytes,
) -> Result<String> {
    check_part_number(part_number)?;
    if body.len() as u64 > MAX_PART_BYTES {
        return Err(Error::too_large(
            "entity_too_large",
            "parts are at most 5 GiB",
        ));
    }
    let (uploads, key, upload_id) = (blobs.uploads.clone(), key.to_owned(), upload_id.to_owned());
    // Hashing and making the body durable take about as long each (8 MiB: ~5 ms of
    // SHA-256, ~5 ms of fsync), so they run side by side on two blocking threads; the body
    // goes to the file from the caller's buffer, with no staging copy.
    let hashed = body.clone();
    let (etag, (upload, temp)) = tokio::try_join!(
        blocking(move || Ok(etag_of(&Sha256::digest(&hashed)))),
        blocking(move || {
            let upload = load_blocking(&uploads, &key, &upload_id)?;
            let mut temp =
                Temp::create(&upload.dir, DirPolicy::MustExist).map_err(part_dir_gone)?;
            temp.write(&body)?;
            temp.sync()?;
            Ok((upload, temp))
        }),
    )?;
    let meta = Meta {
        content_type: String::new(),
        etag: etag.clone(),
        parts: None,
    };
    blocking(move || {
        temp.commit(&meta, &upload.part_file(part_number))
            .map_err(part_dir_gone)
    })
    .await?;
    Ok(etag)
}

pub(super) async fn list_parts(
    blobs: &FsBlobs,
    key: &str,
    upload_id: &str,
) -> Result<Vec<PartInfo>> {
    let (uploads, key, upload_id) = (blobs.uploads.clone(), key.to_owned(), upload_id.to_owned());
    blocking(move || {
        let upload = load_blocking(&uploads, &key, &upload_id)?;
        let entries = match std::fs::read_dir(&upload.dir) {
            Ok(entries) => entries,
            // Completed or aborted since it was loaded.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(no_such_upload()),
            Err(e) => return Err(io_error("listing parts", e)),
        };
        let mut parts = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error("listing parts", e))?;
            let name = entry.file_name();
            let Some(part_number) = name
                .to_str()
                .and_then(|n| n.strip_suffix(PART_SUFFIX))
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(opened) = record::open(&entry.path())? {
                parts.push(PartInfo {
                    part_number,
                    etag: Some(opened.meta.etag),
                    bytes: opened.body_len,
                });
            }
        }
        parts.sort_unstable_by_key(|p| p.part_number);
        Ok(parts)
    })
    .await
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
    let destination = blobs.object_file(key)?;
    let parts_dir = composite::parts_dir(&blobs.objects, upload_id)?;
    let parts = parts.to_vec();
    let (meta, bytes, replaced) =
        blocking(move || compose(&upload, &parts_dir, &destination, &parts)).await?;
    blobs.discard(replaced).await;
    blobs.announce(key, bytes, meta.etag);
    tracing::debug!(key, upload_id, "multipart completed");
    Ok(())
}

/// Moves the upload's directory to `parts_dir`, checks the parts there and publishes the
/// composite record at `destination`. Blocking.
///
/// The move comes first: from then on no part upload can reach the directory (they write
/// by the upload's path, which is gone) and a completion racing this one finds no upload,
/// so what is checked is what is published. A refused completion moves the directory
/// back: the upload stays usable, as in S3.
fn compose(
    upload: &Upload,
    parts_dir: &Path,
    destination: &Path,
    parts: &[CompletedPart],
) -> Result<(Meta, u64, Replaced)> {
    let parent = parts_dir
        .parent()
        .ok_or_else(|| Error::internal_msg("a parts directory has no parent"))?;
    std::fs::create_dir_all(parent).map_err(|e| io_error("creating the parts directory", e))?;
    match std::fs::rename(&upload.dir, parts_dir) {
        Ok(()) => {}
        // A completion or abort of the same upload got there first.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(no_such_upload()),
        Err(e) => return Err(io_error("moving a completed upload", e)),
    }
    let published = check_parts(parts_dir, parts).and_then(|(list, etag)| {
        let bytes = list.parts.iter().map(|(_, len)| len).sum();
        let meta = Meta {
            content_type: upload.content_type.clone(),
            etag,
            parts: Some(list),
        };
        // Written inside the parts directory (which also marks it as just changed for the
        // orphan sweep), then renamed into the objects tree.
        let replaced = record::write_to(parts_dir, destination, DirPolicy::MustExist, &[], &meta)?;
        Ok((meta, bytes, replaced))
    });
    if published.is_err()
        && let Err(e) = std::fs::rename(parts_dir, &upload.dir)
    {
        // Left in place for the orphan sweep; the upload is gone.
        tracing::warn!(error = %e, "a refused completion could not restore its upload");
    }
    published
}

/// Checks `parts` against the part records in `dir`; returns the composite's part list
/// and its S3-shaped ETag (`"<hex SHA-256 of the parts' digests>-<count>"`).
fn check_parts(dir: &Path, parts: &[CompletedPart]) -> Result<(PartList, String)> {
    let upload = dir
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::internal_msg("a parts directory has no name"))?
        .to_owned();
    let mut list = Vec::with_capacity(parts.len());
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
        let record =
            record::open(&composite::part_file(dir, part.part_number))?.ok_or_else(invalid_part)?;
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
        list.push((part.part_number, record.body_len));
    }
    let etag = format!("\"{}-{}\"", hex::encode(digests.finalize()), parts.len());
    Ok((
        PartList {
            upload,
            parts: list,
        },
        etag,
    ))
}

pub(super) async fn abort(blobs: &FsBlobs, key: &str, upload_id: &str) -> Result<()> {
    let upload = match load(blobs, key, upload_id).await {
        Ok(upload) => upload,
        Err(Error::NotFound { .. }) => return Ok(()),
        Err(e) => return Err(e),
    };
    blocking(move || match std::fs::remove_dir_all(&upload.dir) {
        Ok(()) => Ok(()),
        // Completed or aborted meanwhile.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error("aborting an upload", e)),
    })
    .await
}
