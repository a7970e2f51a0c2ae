//! Events and their processing options.

use serde::{Deserialize, Serialize};

use super::ids::{EventId, PhotoId, UserId};
use super::time::Timestamp;
use crate::error::Error;

/// Where on an image something is anchored (crop gravity, watermark position).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Gravity {
    /// Top left.
    NorthWest,
    /// Top centre.
    North,
    /// Top right.
    NorthEast,
    /// Middle left.
    West,
    /// Middle.
    #[default]
    Center,
    /// Middle right.
    East,
    /// Bottom left.
    SouthWest,
    /// Bottom centre.
    South,
    /// Bottom right.
    SouthEast,
}

/// What the watermark is made of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum WatermarkSource {
    /// Text rendered with the bundled font.
    Text {
        /// The text, e.g. "© Anna Photo".
        text: String,
    },
    /// A PNG (with alpha) the photographer uploaded into the event.
    Image {
        /// The photo row holding the PNG.
        image_photo_id: PhotoId,
    },
}

/// An event's watermark, applied to the viewer copies (thumb and web).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Watermark {
    /// Text or image.
    #[serde(flatten)]
    pub source: WatermarkSource,
    /// Anchor on the image.
    pub position: Gravity,
    /// 0.0 (invisible) to 1.0 (opaque).
    pub opacity: f32,
    /// Width of the mark relative to the image's width, 0.01 to 1.0.
    pub scale: f32,
}

/// An event row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Id (ULID).
    pub event_id: EventId,
    /// The photographer who owns it.
    pub owner_id: UserId,
    /// Display name.
    pub name: String,
    /// Unique per owner; the public path is `/e/{username}/{slug}`.
    pub slug: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it and every byte of it are deleted (TTL attribute).
    pub expires_at: Timestamp,
    /// Shown on the landing page without a code, when set.
    pub cover_photo_id: Option<PhotoId>,
    /// Applied to viewer copies, when set.
    pub watermark: Option<Watermark>,
    /// Photos registered in the event (the per-event limit is enforced on this counter).
    pub photo_count: u64,
    /// Optimistic-concurrency version, bumped by every update.
    pub version: u64,
}

/// How long an expired event's public path answers "expired" after its expiry (then it is
/// unknown, and the slug is free again): 30 days.
pub const TOMBSTONE_SECS: i64 = 30 * 24 * 60 * 60;

/// What a tombstoned public path answers: `Expired` saying when the event expired (its
/// tombstone lasts [`TOMBSTONE_SECS`] from then).
pub fn tombstone_expired(tombstone_until: Timestamp) -> Error {
    let expired_at = tombstone_until.plus_secs(-TOMBSTONE_SECS);
    Error::expired(
        "event_expired",
        format!("this gallery expired at {}", expired_at.to_rfc3339()),
    )
}

impl Event {
    /// Whether the event has expired at `now` (an expired row is treated as gone).
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.has_passed(now)
    }
}
