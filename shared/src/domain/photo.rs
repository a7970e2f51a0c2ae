//! Photos and their processing status machine.

use serde::{Deserialize, Serialize};

use super::ids::{EventId, PhotoId, UserId};
use super::time::Timestamp;

/// The largest original PicPass processes: 200 MiB. The one source of this limit: the
/// image pipeline refuses larger inputs, the API refuses to sign uploads of larger files
/// (413 before anything is stored), and `PICPASS_MAX_FILE_BYTES` may only lower it.
pub const MAX_ORIGINAL_BYTES: u64 = 200 * 1024 * 1024;

/// Processing status: `pending → processing → ready | failed`, and `failed → pending` on retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoStatus {
    /// Registered; waiting for the upload and the processor.
    Pending,
    /// A processor holds the lease (`processing_until`).
    Processing,
    /// Derivatives written and metadata recorded.
    Ready,
    /// Permanently failed, with a reason.
    Failed,
}

impl PhotoStatus {
    /// Whether the machine allows `self → next`. `processing → processing` is a processor
    /// taking over an expired lease; `processing → pending` gives a claim back after a
    /// transient failure; `ready → processing` re-derives (e.g. a new watermark).
    pub fn can_become(self, next: PhotoStatus) -> bool {
        use PhotoStatus::*;
        matches!(
            (self, next),
            (Pending, Processing)
                | (Processing, Processing)
                | (Processing, Ready)
                | (Processing, Failed)
                | (Failed, Pending)
                | (Ready, Processing)
        )
    }

    /// The status as stored and shown (`pending`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processing => "processing",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }

    /// Parses the stored/query form.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Self::Pending),
            "processing" => Some(Self::Processing),
            "ready" => Some(Self::Ready),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// Why processing failed, as shown to the photographer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoFailure {
    /// Stable code (`not_an_image`, `too_many_pixels`, …).
    pub code: String,
    /// Human sentence.
    pub message: String,
}

/// How the original is being uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum UploadKind {
    /// One presigned PUT.
    Single,
    /// S3 multipart upload.
    Multipart {
        /// The storage's upload id.
        upload_id: String,
        /// Bytes per part (the last may be smaller).
        part_bytes: u64,
    },
}

/// What the processor learned from the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PhotoMetadata {
    /// Upright width in pixels (after EXIF orientation).
    pub width: u32,
    /// Upright height in pixels.
    pub height: u32,
    /// The original EXIF orientation tag (1–8).
    pub orientation: u8,
    /// Capture time from EXIF, when present.
    pub taken_at: Option<Timestamp>,
    /// "Make Model" from EXIF, when present.
    pub camera: Option<String>,
    /// Detected format (`jpeg`, `png`, `webp`).
    pub format: String,
    /// Variant names written (`thumb`, `web`).
    pub variants: Vec<String>,
    /// CRC-32 (IEEE) of the original, recorded by the processor so a zip of the photo can
    /// write its headers before its data; absent for photos processed before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crc32: Option<u32>,
}

/// A photo row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Photo {
    /// Its event.
    pub event_id: EventId,
    /// Id (ULID; sorts by registration time).
    pub photo_id: PhotoId,
    /// The event's owner (part of every object key).
    pub owner_id: UserId,
    /// The name the photographer's file had; only ever echoed back, never a path.
    pub filename: String,
    /// The declared media type (the processor re-checks the bytes).
    pub content_type: String,
    /// Declared size in bytes.
    pub bytes: u64,
    /// Lowercase hex SHA-256 of the original (de-duplication and integrity).
    pub sha256: String,
    /// Processing status.
    pub status: PhotoStatus,
    /// Set when `status` is `failed`.
    pub failure: Option<PhotoFailure>,
    /// Set once `ready`.
    pub metadata: Option<PhotoMetadata>,
    /// Single PUT or multipart.
    pub upload: UploadKind,
    /// When it was registered.
    pub created_at: Timestamp,
    /// Lease of the processor holding it (with `processing`).
    pub processing_until: Option<Timestamp>,
    /// How many times processing started.
    pub attempts: u32,
    /// The event's expiry (TTL attribute).
    pub expires_at: Timestamp,
    /// Optimistic-concurrency version, bumped by every update.
    pub version: u64,
}

impl Photo {
    /// `taken_at` when known; sorting by capture time puts unknown times last.
    pub fn taken_at(&self) -> Option<Timestamp> {
        self.metadata.as_ref().and_then(|m| m.taken_at)
    }
}

#[cfg(test)]
mod tests {
    use super::PhotoStatus::*;

    #[test]
    fn status_machine() {
        assert!(Pending.can_become(Processing));
        assert!(Processing.can_become(Ready));
        assert!(Processing.can_become(Failed));
        assert!(Failed.can_become(Pending));
        assert!(!Pending.can_become(Ready));
        assert!(!Ready.can_become(Pending));
        assert!(!Failed.can_become(Ready));
        for s in [Pending, Processing, Ready, Failed] {
            assert_eq!(super::PhotoStatus::parse(s.as_str()), Some(s));
        }
    }
}
