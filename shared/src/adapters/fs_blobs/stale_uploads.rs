//! What S3's lifecycle rule "abort incomplete multipart uploads after N days" does: an
//! upload started long ago and never completed or aborted (a client gone for good) has its
//! parts removed. An upload's id is a ULID, so its start time is in its name.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::FsBlobs;
use super::record::io_error;
use crate::error::Result;

impl FsBlobs {
    /// Removes the uploads started more than `older_than` ago; returns how many.
    pub async fn abort_stale_uploads(&self, older_than: Duration) -> Result<u64> {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let cutoff =
            now_ms.saturating_sub(u64::try_from(older_than.as_millis()).unwrap_or(u64::MAX));
        let mut entries = tokio::fs::read_dir(&self.uploads)
            .await
            .map_err(|e| io_error("listing uploads", e))?;
        let mut removed = 0;
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|e| io_error("listing uploads", e))?
        {
            let name = entry.file_name();
            let Some(started_ms) = name
                .to_str()
                .and_then(|n| ulid::Ulid::from_string(n).ok())
                .map(|id| id.timestamp_ms())
            else {
                continue;
            };
            if started_ms >= cutoff {
                continue;
            }
            match tokio::fs::remove_dir_all(entry.path()).await {
                Ok(()) => removed += 1,
                // Completed or aborted meanwhile.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error("removing a stale upload", e)),
            }
        }
        if removed > 0 {
            tracing::info!(removed, "stale multipart uploads removed");
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Blobs;

    #[tokio::test]
    async fn only_uploads_older_than_the_limit_are_removed() {
        let dir = tempfile::tempdir().expect("dir");
        let blobs =
            FsBlobs::open(dir.path(), "http://127.0.0.1:9/blobs", &[1u8; 32]).expect("open");
        let fresh = blobs
            .create_multipart("originals/a", "image/jpeg")
            .await
            .expect("create");
        let old_id = ulid::Ulid::from_parts(1_000, 7).to_string();
        std::fs::create_dir_all(dir.path().join("uploads").join(&old_id)).expect("old upload");

        assert_eq!(
            blobs
                .abort_stale_uploads(Duration::from_secs(86_400))
                .await
                .expect("sweep"),
            1
        );
        assert!(!dir.path().join("uploads").join(&old_id).exists());
        assert!(
            blobs.list_parts("originals/a", &fresh).await.is_ok(),
            "the fresh upload stays"
        );
    }
}
