//! Room on the store's disk. S3 never fills up; a local disk does, so a presigned upload
//! is only issued while its bytes fit with [`RESERVE_BYTES`] to spare for the catalog, the
//! queues and the derivatives the upload will bring. A write that still finds the disk
//! full (several uploads racing for the last space, another program filling it) fails
//! with [`crate::Error::StorageFull`] and stores nothing.

use std::path::Path;

use crate::error::{Error, Result};

/// Free space an upload may not take.
pub const RESERVE_BYTES: u64 = 16 * 1024 * 1024;

/// What a client is told when the disk is full.
pub const STORAGE_FULL_MESSAGE: &str =
    "the server's disk is full: free space (delete photos or events), then try again";

/// Bytes an unprivileged writer may still use on the filesystem holding `path`.
pub fn available(path: &Path) -> Result<u64> {
    let stats = rustix::fs::statvfs(path)
        .map_err(|e| Error::internal("filesystem blob store: reading free space", e))?;
    Ok(stats.f_bavail.saturating_mul(stats.f_frsize))
}

/// Refuses an upload of `bytes` that would leave less than [`RESERVE_BYTES`] free.
pub fn ensure_room(path: &Path, bytes: u64) -> Result<()> {
    let free = available(path)?;
    if free >= bytes.saturating_add(RESERVE_BYTES) {
        return Ok(());
    }
    tracing::warn!(free, bytes, "upload refused: the disk is full");
    Err(Error::storage_full(format!(
        "{STORAGE_FULL_MESSAGE} ({} MB free, {} MB needed with the reserve)",
        free / 1_000_000,
        bytes.saturating_add(RESERVE_BYTES).div_ceil(1_000_000)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_larger_than_the_free_space_is_refused_and_a_small_one_is_not() {
        let dir = tempfile::tempdir().expect("dir");
        let free = available(dir.path()).expect("free space");
        assert!(free > 0);
        ensure_room(dir.path(), 1).expect("one byte fits");
        let error = ensure_room(dir.path(), free).expect_err("all of it does not");
        assert_eq!(error.code(), "storage_full");
        assert!(error.public_message().contains("disk is full"));
    }
}
