//! Composite objects: a completed multipart upload keeps its part files. Completion moves
//! the upload's staging directory, in one rename, to `objects/.parts/<upload id>/` and
//! publishes a record listing the parts ([`super::record::PartList`]); reads follow the
//! list ([`super::body`]). Completing costs O(parts) metadata instead of a copy of every
//! byte, and the bytes are written once.
//!
//! - Hidden: `.parts` is no key's encoding (encoded names never contain `.`), so listings
//!   and prefix deletes never see it.
//! - Lifetime: a parts directory belongs to the record naming it. Replacing or deleting
//!   that record removes the directory afterwards ([`discard`]), so a reader holding the
//!   old record finds a part missing at worst, and reads again ([`super::body::read_fresh`]).
//!   A record, once replaced, is never published again, so a removed directory is never
//!   named by a live record.
//! - Orphans: a crash between the steps, or two writers replacing one key at the same
//!   moment (each removes only what it replaced), can leave a directory no record names.
//!   [`sweep`] removes those when the store is opened, once they are older than a grace
//!   period that covers a completion in progress in another process.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::record;
use crate::error::{Error, Result};

/// The directory of composite objects' parts, inside the objects directory.
pub const PARTS_DIR: &str = ".parts";

/// A parts directory no record names is removed once unchanged for this long: a
/// completion takes milliseconds between moving the directory and publishing its record.
pub const ORPHAN_GRACE: Duration = Duration::from_secs(3600);

/// The file of part `number` in an upload's (or a composite object's) directory.
pub fn part_file(dir: &Path, number: u32) -> PathBuf {
    dir.join(format!("{number:05}.part"))
}

/// The parts directory of upload `upload`, if the id has the shape we issue (a ULID), so
/// no record or request can name a path outside it.
pub fn parts_dir(objects: &Path, upload: &str) -> Result<PathBuf> {
    let id = ulid::Ulid::from_string(upload)
        .map_err(|_| Error::internal_msg("filesystem blob store: a bad upload id"))?;
    Ok(objects.join(PARTS_DIR).join(id.to_string()))
}

/// Removes the parts of a replaced or deleted composite object. Blocking; best effort: a
/// failure leaves an orphan for [`sweep`].
pub fn discard(objects: &Path, replaced: record::Replaced) {
    let Some(list) = replaced else {
        return;
    };
    match parts_dir(objects, &list.upload).map(|dir| std::fs::remove_dir_all(&dir)) {
        Ok(Ok(())) => {}
        // A racing writer that replaced the same record removed it first.
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
        Ok(Err(e)) => tracing::warn!(upload = list.upload, error = %e, "parts left for the sweep"),
        Err(e) => tracing::warn!(upload = list.upload, error = %e, "unusable parts reference"),
    }
}

/// Removes the parts directories no record names that have not changed for `grace`;
/// returns how many. `key_of` reads the key an upload was for from its directory.
/// Blocking; run when the store is opened.
pub fn sweep(
    objects: &Path,
    grace: Duration,
    key_of: impl Fn(&Path) -> Option<String>,
) -> Result<usize> {
    let entries = match std::fs::read_dir(objects.join(PARTS_DIR)) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(record::io_error("listing parts directories", e)),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry.map_err(|e| record::io_error("listing parts directories", e))?;
        let dir = entry.path();
        let upload = entry.file_name().to_string_lossy().into_owned();
        if is_named(objects, &upload, key_of(&dir)) || changed_within(&dir, grace) {
            continue;
        }
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(record::io_error("removing orphaned parts", e)),
        }
    }
    Ok(removed)
}

/// Whether the record of `key` is the composite made from `upload`.
fn is_named(objects: &Path, upload: &str, key: Option<String>) -> bool {
    let Some(path) = key.and_then(|key| super::key::object_path(&key).ok()) else {
        return false;
    };
    matches!(
        record::open(&objects.join(path)),
        Ok(Some(opened)) if opened.meta.parts.as_ref().is_some_and(|list| list.upload == upload)
    )
}

/// Whether `dir` changed within `grace`. On Unix the change time counts too: moving the
/// directory into place sets it, while its modification time may be the last part's.
fn changed_within(dir: &Path, grace: Duration) -> bool {
    let Ok(meta) = std::fs::metadata(dir) else {
        return false;
    };
    let mut latest = meta.modified().ok();
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let changed = u64::try_from(meta.ctime())
            .ok()
            .map(|secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs));
        latest = latest.max(changed);
    }
    latest.is_some_and(|at| SystemTime::now().duration_since(at).unwrap_or_default() < grace)
}
