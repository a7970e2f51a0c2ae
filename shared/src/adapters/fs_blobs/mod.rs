//! `FsBlobs`: the [`Blobs`] port on a local directory, for the local stack and tests.
//!
//! - Objects are files under `<root>/objects`, named by [`key`]'s collision-free encoding;
//!   each file holds the body followed by its metadata ([`record`]), written to a temporary
//!   file, fsynced and renamed, so a reader sees the old object or the new one.
//! - A completed multipart upload is a composite object ([`composite`]): its record lists
//!   the part files, moved with one rename to `<root>/objects/.parts/<upload id>/`, so the
//!   bytes are written once; reads follow the list ([`body`]). Replacing or deleting it
//!   removes the parts after the record; a crash in between leaves a directory no record
//!   names, which opening the store removes.
//! - ETags are quoted hex SHA-256 of the body (`"9f86…"`), like S3's quoted MD5 but with the
//!   hash the rest of PicPass already uses; an object assembled from N parts gets
//!   `"<hex SHA-256 of the parts' raw SHA-256 digests>-N"`, S3's multipart shape.
//! - Multipart uploads are staged under `<root>/uploads/<upload id>/` ([`multipart`]).
//! - File I/O is blocking `std::fs` in tokio's blocking pool, one task per operation (a
//!   ranged read is open, two reads and a close in one task), except bodies streamed from
//!   HTTP requests.
//! - Presigned URLs are `{base_url}/{key}?X-Picpass-Expires=…&X-Picpass-Signature=…`,
//!   HMAC-SHA256-signed ([`signing`]), and [`FsBlobs::serve`] ([`verifier`]) checks them
//!   with S3's rules and S3's error codes; [`http::serve`] puts that on a TCP listener.
//!
//! Listing walks the prefix's directory and sorts the keys it finds, so a page costs time
//! proportional to the number of keys under the prefix: fine for a developer's machine,
//! which is all this adapter is for.

mod body;
mod composite;
pub mod http;
pub mod key;
mod multipart;
mod range;
mod record;
mod signing;
pub mod snapshot;
mod space;
mod stale_uploads;
mod verifier;

pub use space::{RESERVE_BYTES, STORAGE_FULL_MESSAGE};
pub use verifier::BlobBody;

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};

use crate::domain::{Cursor, Page, PageRequest, Timestamp};
use crate::error::{Error, Result};
use crate::ports::blobs::{
    Blobs, CompletedPart, ObjectInfo, PartInfo, Presign, PresignedRequest, PutConstraints,
};
use record::{DirPolicy, Meta, blocking, io_error};
use signing::{Constraints, Signer};

/// Longest presigned lifetime, as in S3 (7 days).
pub const MAX_PRESIGN_SECS: u64 = 604_800;

/// RFC 3986 unreserved characters stay literal in query values; the rest is encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Largest read buffer allocated before the object's size is known ([`FsBlobs::read_object`]).
const PREALLOCATED_READ: u64 = 8 * 1024 * 1024;

/// Query parameter carrying the expiry (epoch seconds).
pub const EXPIRES_PARAM: &str = "X-Picpass-Expires";
/// Query parameter carrying the hex HMAC-SHA256.
pub const SIGNATURE_PARAM: &str = "X-Picpass-Signature";

/// An object was written: what an S3 `ObjectCreated:*` notification carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectCreated {
    /// The object's key.
    pub key: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its ETag, quoted as in the `ETag` header (S3 events carry it unquoted).
    pub etag: String,
}

/// Object storage in a local directory with S3-like presigned URLs.
pub struct FsBlobs {
    objects: PathBuf,
    uploads: PathBuf,
    base_url: String,
    base_path: String,
    signer: Signer,
    created: Option<tokio::sync::mpsc::UnboundedSender<ObjectCreated>>,
}

impl std::fmt::Debug for FsBlobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FsBlobs")
            .field("objects", &self.objects)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// The quoted ETag of a body with this SHA-256.
fn etag_of(sha256: &[u8]) -> String {
    format!("\"{}\"", hex::encode(sha256))
}

/// ETags compare without their quotes: clients send them either way.
fn same_etag(a: &str, b: &str) -> bool {
    a.trim_matches('"') == b.trim_matches('"')
}

fn no_such_key() -> Error {
    Error::not_found("no_such_key", "the object does not exist")
}

impl FsBlobs {
    /// Opens (creating if needed) a store under `root` whose presigned URLs start with
    /// `base_url` (where [`http::serve`] listens) and are signed with `signing_key`
    /// (at least 32 random bytes, from config).
    pub fn open(root: impl AsRef<Path>, base_url: &str, signing_key: &[u8]) -> Result<Self> {
        let signer = Signer::new(signing_key)?;
        let parsed = url::Url::parse(base_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.query().is_none())
            .ok_or_else(|| Error::internal_msg("the blob base URL must be an http(s) URL"))?;
        let base_path = parsed.path().trim_end_matches('/').to_owned();
        let root = root.as_ref();
        let objects = root.join("objects");
        let uploads = root.join("uploads");
        for dir in [&objects, &uploads] {
            std::fs::create_dir_all(dir).map_err(|e| io_error("creating the store", e))?;
        }
        // Leftovers cost only disk: a sweep that fails must not keep the store closed.
        match composite::sweep(&objects, composite::ORPHAN_GRACE, multipart::manifest_key) {
            Ok(0) => {}
            Ok(orphans) => tracing::info!(orphans, "removed parts no object names"),
            Err(error) => tracing::warn!(%error, "could not sweep orphaned parts"),
        }
        Ok(Self {
            objects,
            uploads,
            base_url: base_url.trim_end_matches('/').to_owned(),
            base_path,
            signer,
            created: None,
        })
    }

    /// Sends an [`ObjectCreated`] to `sender` after every object written (`put`, presigned
    /// PUT, completed multipart upload), as S3 event notifications do: the local stack turns
    /// them into the messages AWS would queue. Unbounded so an event is never dropped; the
    /// receiver is expected to keep up (one event per upload).
    #[must_use]
    pub fn notify_created(
        mut self,
        sender: tokio::sync::mpsc::UnboundedSender<ObjectCreated>,
    ) -> Self {
        self.created = Some(sender);
        self
    }

    fn announce(&self, key: &str, bytes: u64, etag: String) {
        if let Some(sender) = &self.created {
            let event = ObjectCreated {
                key: key.to_owned(),
                bytes,
                etag,
            };
            if sender.send(event).is_err() {
                tracing::warn!(key, "object-created receiver is gone; event dropped");
            }
        }
    }

    fn object_file(&self, key: &str) -> Result<PathBuf> {
        Ok(self.objects.join(key::object_path(key)?))
    }

    fn presign_window(presign: Presign) -> Result<Timestamp> {
        if !(1..=MAX_PRESIGN_SECS).contains(&presign.expires_in_secs) {
            return Err(Error::invalid(
                "invalid_expiry",
                "presigned requests live 1 second to 7 days",
            ));
        }
        Ok(presign.expires_at())
    }

    fn url(&self, key: &str, extra: &[(&str, &str)], expires: i64, signature: &str) -> String {
        let mut url = format!("{}/{}?", self.base_url, key::url_path(key));
        for (name, value) in extra {
            url.push_str(name);
            url.push('=');
            url.extend(utf8_percent_encode(value, QUERY_VALUE));
            url.push('&');
        }
        url.push_str(&format!(
            "{EXPIRES_PARAM}={expires}&{SIGNATURE_PARAM}={signature}"
        ));
        url
    }

    /// Keys under `prefix`, sorted (byte order of UTF-8, as S3 lists).
    async fn keys_under(&self, prefix: &str) -> Result<Vec<(String, PathBuf)>> {
        let dir = self.objects.join(key::prefix_dir(prefix)?);
        let base = match prefix.rfind('/') {
            Some(i) => prefix.get(..=i).unwrap_or_default().to_owned(),
            None => String::new(),
        };
        let prefix = prefix.to_owned();
        let mut keys = tokio::task::spawn_blocking(move || {
            let mut found = Vec::new();
            walk(&dir, &base, &prefix, &mut found)?;
            Ok::<_, Error>(found)
        })
        .await
        .map_err(|e| Error::internal("listing task failed", e))??;
        keys.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(keys)
    }

    /// Removes the parts of a composite object its writer replaced.
    async fn discard(&self, replaced: record::Replaced) {
        if replaced.is_some() {
            let objects = self.objects.clone();
            let _ = blocking(move || {
                composite::discard(&objects, replaced);
                Ok(())
            })
            .await;
        }
    }

    /// Deletes the object at `path` (then its parts, if composite); whether it existed.
    async fn remove_object(&self, path: &Path) -> Result<bool> {
        let (objects, path) = (self.objects.clone(), path.to_owned());
        blocking(move || {
            let replaced = record::open(&path)
                .ok()
                .flatten()
                .and_then(|o| o.meta.parts);
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    if let Some(parent) = path.parent() {
                        prune(&objects, parent);
                    }
                    composite::discard(&objects, replaced);
                    Ok(true)
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(io_error("deleting", e)),
            }
        })
        .await
    }

    /// Reads bytes of the object of `key` with `read` in the blocking pool
    /// ([`body::read_fresh`]), into a buffer of `capacity` allocated here.
    ///
    /// Allocated on the calling thread, not the blocking one, because glibc gives each
    /// blocking-pool thread an arena of its own that keeps its peak: with the archive's
    /// four 2 MiB reads in flight that was 34 MB of the build's peak RSS.
    async fn read_object(
        &self,
        key: &str,
        capacity: u64,
        mut read: impl FnMut(
            &mut body::Object,
            &mut Vec<u8>,
        ) -> std::result::Result<(), body::ReadError>
        + Send
        + 'static,
    ) -> Result<Bytes> {
        let (objects, path) = (self.objects.clone(), self.object_file(key)?);
        let mut buffer = Vec::new();
        buffer
            .try_reserve_exact(usize::try_from(capacity.min(PREALLOCATED_READ)).unwrap_or(0))
            .map_err(|e| Error::internal("read buffer", e))?;
        blocking(move || {
            let read = body::read_fresh(&objects, &path, |object| {
                buffer.clear();
                read(object, &mut buffer)
            })?;
            Ok(read.map(|()| buffer))
        })
        .await?
        .map(Bytes::from)
        .ok_or_else(no_such_key)
    }
}

/// Removes empty directories from `dir` up to (not including) `objects`.
/// Racing writers recreate what they need ([`record::Temp::create`] retries).
fn prune(objects: &Path, mut dir: &Path) {
    while dir != objects && dir.starts_with(objects) {
        if std::fs::remove_dir(dir).is_err() {
            break;
        }
        match dir.parent() {
            Some(parent) => dir = parent,
            None => break,
        }
    }
}

/// Collects `(key, file)` of the objects below `dir` (whose keys start with `base`) that
/// start with `prefix`, descending only into directories that can hold such keys.
fn walk(dir: &Path, base: &str, prefix: &str, found: &mut Vec<(String, PathBuf)>) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error("listing", e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| io_error("listing", e))?;
        let name = entry.file_name();
        let Some((segment, is_object)) = name.to_str().and_then(key::decode_entry) else {
            continue;
        };
        let key = format!("{base}{segment}");
        if is_object {
            if key.starts_with(prefix) {
                found.push((key, entry.path()));
            }
        } else {
            let child_base = format!("{key}/");
            if child_base.starts_with(prefix) || prefix.starts_with(&child_base) {
                walk(&entry.path(), &child_base, prefix, found)?;
            }
        }
    }
    Ok(())
}

#[async_trait]
impl Blobs for FsBlobs {
    #[tracing::instrument(skip(self, body), fields(bytes = body.len()))]
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<()> {
        let path = self.object_file(key)?;
        let bytes = body.len() as u64;
        let content_type = content_type.to_owned();
        let (etag, replaced) = blocking(move || {
            let meta = Meta {
                content_type,
                etag: etag_of(&Sha256::digest(&body)),
                parts: None,
            };
            let replaced = record::write(&path, DirPolicy::Create, &body, &meta)?;
            Ok((meta.etag, replaced))
        })
        .await?;
        self.discard(replaced).await;
        self.announce(key, bytes, etag);
        Ok(())
    }

    #[tracing::instrument(skip(self))]
    async fn get_bounded(&self, key: &str, max_bytes: u64) -> Result<Bytes> {
        // The size is unknown until the record is open: the read allocates its buffer.
        self.read_object(key, 0, move |object, buffer| {
            if object.len > max_bytes {
                return Err(body::ReadError::Failed(
                    crate::ports::blobs::object_too_large(object.len, max_bytes),
                ));
            }
            object.read_into(0, object.len, buffer)
        })
        .await
    }

    #[tracing::instrument(skip(self))]
    async fn get_range(&self, key: &str, offset: u64, len: u64) -> Result<Bytes> {
        self.read_object(key, len, move |object, buffer| {
            object.read_into(offset, len, buffer)
        })
        .await
    }

    #[tracing::instrument(skip(self))]
    async fn head(&self, key: &str) -> Result<ObjectInfo> {
        let (objects, path) = (self.objects.clone(), self.object_file(key)?);
        let object = blocking(move || body::open(&objects, &path))
            .await?
            .ok_or_else(no_such_key)?;
        Ok(ObjectInfo {
            key: key.to_owned(),
            bytes: object.len,
            etag: Some(object.meta.etag),
        })
    }

    #[tracing::instrument(skip(self))]
    async fn delete(&self, key: &str) -> Result<()> {
        let path = self.object_file(key)?;
        self.remove_object(&path).await.map(|_| ())
    }

    #[tracing::instrument(skip(self))]
    async fn delete_prefix(&self, prefix: &str) -> Result<u64> {
        let mut deleted = 0;
        for (_, path) in self.keys_under(prefix).await? {
            if self.remove_object(&path).await? {
                deleted += 1;
            }
        }
        tracing::debug!(prefix, deleted, "deleted prefix");
        Ok(deleted)
    }

    #[tracing::instrument(skip(self, page), fields(limit = page.limit))]
    async fn list(&self, prefix: &str, page: &PageRequest) -> Result<Page<ObjectInfo>> {
        let scope = format!("fs_blobs/{prefix}");
        let after: Option<String> = page.cursor.as_ref().map(|c| c.decode(&scope)).transpose()?;
        let limit = usize::try_from(page.limit.max(1)).unwrap_or(usize::MAX);
        let keys = self.keys_under(prefix).await?;
        let start = match &after {
            Some(after) => keys.partition_point(|(key, _)| key.as_str() <= after.as_str()),
            None => 0,
        };
        let rest = keys.get(start..).unwrap_or_default();
        let page_keys: Vec<(String, PathBuf)> = rest.iter().take(limit).cloned().collect();
        let objects = self.objects.clone();
        let items = blocking(move || {
            let mut items = Vec::with_capacity(page_keys.len());
            for (key, path) in page_keys {
                // Deleted since the walk: skip it, as S3's listing would no longer show it.
                if let Some(object) = body::open(&objects, &path)? {
                    items.push(ObjectInfo {
                        key,
                        bytes: object.len,
                        etag: Some(object.meta.etag),
                    });
                }
            }
            Ok(items)
        })
        .await?;
        let next = match rest.get(limit.saturating_sub(1)) {
            Some((last, _)) if rest.len() > limit => Some(Cursor::encode(&scope, last)?),
            _ => None,
        };
        Ok(Page { items, next })
    }

    fn presign_put(
        &self,
        key: &str,
        constraints: &PutConstraints,
        presign: Presign,
    ) -> Result<PresignedRequest> {
        key::validate(key)?;
        let expires_at = Self::presign_window(presign)?;
        space::ensure_room(&self.objects, constraints.content_length)?;
        let content_length = constraints.content_length.to_string();
        let sha256_base64 = STANDARD.encode(constraints.sha256);
        let signature = self.signer.sign(
            "PUT",
            key,
            expires_at.epoch_secs(),
            &Constraints::Put {
                content_type: &constraints.content_type,
                content_length: &content_length,
                sha256_base64: &sha256_base64,
            },
        );
        Ok(PresignedRequest {
            method: "PUT".to_owned(),
            url: self.url(key, &[], expires_at.epoch_secs(), &signature),
            headers: vec![
                ("content-type".to_owned(), constraints.content_type.clone()),
                ("content-length".to_owned(), content_length),
                ("x-amz-checksum-sha256".to_owned(), sha256_base64),
            ],
            expires_at,
        })
    }

    fn presign_get(
        &self,
        key: &str,
        content_disposition: Option<&str>,
        presign: Presign,
    ) -> Result<PresignedRequest> {
        key::validate(key)?;
        let expires_at = Self::presign_window(presign)?;
        let signature = self.signer.sign(
            "GET",
            key,
            expires_at.epoch_secs(),
            &Constraints::Get {
                content_disposition,
            },
        );
        let extra: Vec<(&str, &str)> = content_disposition
            .map(|d| vec![(verifier::DISPOSITION_PARAM, d)])
            .unwrap_or_default();
        Ok(PresignedRequest {
            method: "GET".to_owned(),
            url: self.url(key, &extra, expires_at.epoch_secs(), &signature),
            headers: Vec::new(),
            expires_at,
        })
    }

    #[tracing::instrument(skip(self))]
    async fn create_multipart(&self, key: &str, content_type: &str) -> Result<String> {
        multipart::create(self, key, content_type).await
    }

    fn presign_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        content_length: u64,
        presign: Presign,
    ) -> Result<PresignedRequest> {
        key::validate(key)?;
        multipart::check_part_number(part_number)?;
        let expires_at = Self::presign_window(presign)?;
        space::ensure_room(&self.objects, content_length)?;
        let part = part_number.to_string();
        let length = content_length.to_string();
        let signature = self.signer.sign(
            "PUT",
            key,
            expires_at.epoch_secs(),
            &Constraints::Part {
                upload_id,
                part_number: &part,
                content_length: &length,
            },
        );
        Ok(PresignedRequest {
            method: "PUT".to_owned(),
            url: self.url(
                key,
                &[
                    (verifier::PART_NUMBER_PARAM, &part),
                    (verifier::UPLOAD_ID_PARAM, upload_id),
                ],
                expires_at.epoch_secs(),
                &signature,
            ),
            headers: vec![("content-length".to_owned(), length)],
            expires_at,
        })
    }

    #[tracing::instrument(skip(self, body), fields(bytes = body.len()))]
    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: Bytes,
    ) -> Result<String> {
        multipart::upload_part(self, key, upload_id, part_number, body).await
    }

    #[tracing::instrument(skip(self))]
    async fn list_parts(&self, key: &str, upload_id: &str) -> Result<Vec<PartInfo>> {
        multipart::list_parts(self, key, upload_id).await
    }

    #[tracing::instrument(skip(self, parts), fields(parts = parts.len()))]
    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> Result<()> {
        multipart::complete(self, key, upload_id, parts).await
    }

    #[tracing::instrument(skip(self))]
    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<()> {
        multipart::abort(self, key, upload_id).await
    }
}

#[cfg(test)]
mod composite_tests;
#[cfg(test)]
mod tests;
