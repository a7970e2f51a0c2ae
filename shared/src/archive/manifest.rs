//! The manifest: every entry of an archive (photo, name in the zip, size, CRC-32, time),
//! fixed once the selection is resolved, so every part is cut from the same layout however
//! many deliveries the build takes.
//!
//! It lives in storage, not in the job row: 20,000 entries are megabytes. Each version is
//! written under a fresh key and only then named by the row (a version-conditional
//! write), so a delivery that lost a race can never change the manifest another is
//! building from.

use serde::{Deserialize, Serialize};

use super::zip::{DosTime, UniqueNames, ZipEntry, ZipLayout, sanitise};
use crate::domain::{EventId, JobId, Photo, PhotoId, keys};
use crate::error::{Error, Result};
use crate::ports::Blobs;

/// One file of the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// The photo whose original it is.
    pub photo_id: PhotoId,
    /// Its name in the archive (sanitised, unique).
    pub name: String,
    /// The original's size.
    pub bytes: u64,
    /// The original's CRC-32, once known.
    pub crc32: Option<u32>,
    /// Its timestamp in the archive (capture time, else upload time).
    pub modified: DosTime,
}

/// Every entry of an archive, in archive order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Manifest {
    /// The entries.
    pub entries: Vec<ManifestEntry>,
}

impl Manifest {
    /// The entries for these photos, in the order given, with safe unique names.
    pub fn from_photos(photos: &[Photo]) -> Self {
        let mut names = UniqueNames::new();
        let entries = photos
            .iter()
            .map(|photo| ManifestEntry {
                photo_id: photo.photo_id,
                name: names.claim(&sanitise(&photo.filename)),
                bytes: photo.bytes,
                crc32: photo.metadata.as_ref().and_then(|m| m.crc32),
                modified: DosTime::from_timestamp(photo.taken_at().unwrap_or(photo.created_at)),
            })
            .collect();
        Self { entries }
    }

    /// Whether some entry still needs its CRC-32 computed.
    pub fn missing_checksums(&self) -> usize {
        self.entries.iter().filter(|e| e.crc32.is_none()).count()
    }

    /// The archive's layout. Sizes alone fix it, so before every CRC-32 is known a
    /// placeholder stands in (to learn the size early); with `require_checksums`, a missing
    /// one is an error.
    pub fn layout(&self, require_checksums: bool) -> Result<ZipLayout> {
        let entries = self
            .entries
            .iter()
            .map(|entry| {
                let crc32 = match entry.crc32 {
                    Some(crc) => crc,
                    None if !require_checksums => 0,
                    None => {
                        return Err(Error::internal_msg("an archive entry has no CRC-32 yet"));
                    }
                };
                Ok(ZipEntry {
                    name: entry.name.clone(),
                    size: entry.bytes,
                    crc32,
                    modified: entry.modified,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        ZipLayout::new(entries)
    }

    /// Reads the manifest at `key`.
    pub async fn load(blobs: &dyn Blobs, key: &str) -> Result<Self> {
        let body = blobs.get(key).await?;
        serde_json::from_slice(&body).map_err(|e| Error::internal("corrupt archive manifest", e))
    }

    /// Writes this version under a fresh key and returns the key.
    pub async fn store(&self, blobs: &dyn Blobs, event: EventId, archive: JobId) -> Result<String> {
        let key = keys::archive_manifest(event, archive, &ulid::Ulid::generate().to_string());
        let body = serde_json::to_vec(self).map_err(|e| Error::internal("archive manifest", e))?;
        blobs.put(&key, body.into(), "application/json").await?;
        Ok(key)
    }
}
