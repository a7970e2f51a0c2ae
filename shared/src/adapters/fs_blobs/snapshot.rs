//! A copy of a store's objects into another store root, while the store is in use (for
//! `picpass backup` and `restore`).
//!
//! Files are hard-linked where both roots share a filesystem and copied otherwise: an
//! object's file is never changed in place (a write publishes a new file by rename, a
//! composite object's parts never change), so a link is as good as a copy and costs no
//! bytes. A composite object is copied with its parts; one replaced or deleted while being
//! copied (a part gone) is copied again from its current record, or left out if it is gone.
//! Multipart uploads in progress and temporary files are not copied.

use std::fs;
use std::path::{Path, PathBuf};

use super::composite::{part_file, parts_dir};
use super::record::{self, io_error};
use crate::error::Result;

/// What a snapshot copied.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SnapshotStats {
    /// Objects in the copy.
    pub objects: u64,
    /// Their bytes (records and parts).
    pub bytes: u64,
    /// Files hard-linked rather than copied.
    pub linked: u64,
    /// Files copied.
    pub copied: u64,
    /// Objects deleted while the snapshot ran, left out.
    pub vanished: u64,
}

/// Copies every object of the store rooted at `source` into a store rooted at
/// `destination` (whose `objects/` must not exist yet). Blocking.
pub fn copy_objects(source: &Path, destination: &Path) -> Result<SnapshotStats> {
    let from = source.join("objects");
    let to = destination.join("objects");
    fs::create_dir_all(&to).map_err(|e| io_error("creating the copy's directory", e))?;
    let mut stats = SnapshotStats::default();
    let mut dirs = vec![PathBuf::new()];
    while let Some(relative) = dirs.pop() {
        let entries = match fs::read_dir(from.join(&relative)) {
            Ok(entries) => entries,
            // Pruned after its last object went.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_error("listing objects", e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| io_error("listing objects", e))?;
            let name = entry.file_name();
            // Temporary files and the parts directory (parts go with their record).
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let path = relative.join(&name);
            let kind = entry
                .file_type()
                .map_err(|e| io_error("reading a file type", e))?;
            if kind.is_dir() {
                dirs.push(path);
            } else if kind.is_file() {
                copy_object(&from, &to, &path, &mut stats)?;
            }
        }
    }
    sync_tree(&to)?;
    Ok(stats)
}

/// Copies one object's record, and its parts if it is a composite object.
fn copy_object(from: &Path, to: &Path, relative: &Path, stats: &mut SnapshotStats) -> Result<()> {
    let target = to.join(relative);
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).map_err(|e| io_error("creating a directory", e))?;
    }
    // Twice at most: a composite object replaced between its record and its parts is
    // copied again from its new record.
    for _ in 0..2 {
        let _ = fs::remove_file(&target);
        let Some(bytes) = link_or_copy(&from.join(relative), &target, stats)? else {
            stats.vanished += 1;
            return Ok(());
        };
        // The copy is what the snapshot keeps, so its record says which parts to take.
        let parts = match record::open(&target)? {
            Some(opened) => opened.meta.parts,
            None => None,
        };
        let Some(list) = parts else {
            stats.objects += 1;
            stats.bytes += bytes;
            return Ok(());
        };
        let source_dir = parts_dir(from, &list.upload)?;
        let target_dir = parts_dir(to, &list.upload)?;
        fs::create_dir_all(&target_dir).map_err(|e| io_error("creating a parts directory", e))?;
        let mut copied = bytes;
        let mut whole = true;
        for (number, _) in &list.parts {
            match link_or_copy(
                &part_file(&source_dir, *number),
                &part_file(&target_dir, *number),
                stats,
            )? {
                Some(part_bytes) => copied += part_bytes,
                None => {
                    whole = false;
                    break;
                }
            }
        }
        if whole {
            stats.objects += 1;
            stats.bytes += copied;
            return Ok(());
        }
        let _ = fs::remove_dir_all(&target_dir);
    }
    let _ = fs::remove_file(&target);
    stats.vanished += 1;
    Ok(())
}

/// Hard-links `source` at `target`, or copies it (and fsyncs the copy) across
/// filesystems. Returns its length, or `None` when `source` no longer exists.
fn link_or_copy(source: &Path, target: &Path, stats: &mut SnapshotStats) -> Result<Option<u64>> {
    let _ = fs::remove_file(target);
    match fs::hard_link(source, target) {
        Ok(()) => {
            stats.linked += 1;
            let len = fs::metadata(target)
                .map_err(|e| io_error("reading a copied file", e))?
                .len();
            return Ok(Some(len));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        // EXDEV (another filesystem), or links not allowed: copy.
        Err(_) => {}
    }
    match fs::copy(source, target) {
        Ok(len) => {
            fs::File::open(target)
                .and_then(|f| f.sync_all())
                .map_err(|e| io_error("syncing a copied file", e))?;
            stats.copied += 1;
            Ok(Some(len))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let _ = fs::remove_file(target);
            Ok(None)
        }
        Err(e) => Err(io_error("copying a file", e)),
    }
}

/// Fsyncs every directory of the copy, so its names survive a crash.
fn sync_tree(root: &Path) -> Result<()> {
    let mut dirs = vec![root.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).map_err(|e| io_error("listing the copy", e))? {
            let entry = entry.map_err(|e| io_error("listing the copy", e))?;
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                dirs.push(entry.path());
            }
        }
        fs::File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_error("syncing a directory", e))?;
    }
    Ok(())
}
