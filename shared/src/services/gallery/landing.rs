//! The public landing page of a gallery: what a guest sees before typing a code.

use serde::Serialize;

use crate::domain::{PhotoStatus, Timestamp, keys};
use crate::error::Result;
use crate::ports::Presign;

use super::super::Deps;
use super::{VIEWER_URL_SECS, event_at};

/// `GET /api/g/{username}/{slug}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Landing {
    /// The event's name.
    pub name: String,
    /// When every photo of it is deleted.
    pub expires_at: Timestamp,
    /// The cover's thumbnail, only when the photographer chose a cover (shown without a
    /// code, so nothing else ever appears here).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cover_thumb_url: Option<String>,
}

/// The landing of the gallery at `username/slug`.
pub async fn landing(deps: &Deps, username: &str, slug: &str) -> Result<Landing> {
    let event = event_at(deps, username, slug).await?;
    let cover_thumb_url = match event.cover_photo_id {
        Some(photo_id) => match deps.catalog.get_photo(event.event_id, photo_id).await {
            Ok(photo) if photo.status == PhotoStatus::Ready => {
                let key = keys::derived(&photo.owner_id, event.event_id, photo_id, "thumb");
                Some(
                    deps.blobs
                        .presign_get(&key, None, Presign::now(VIEWER_URL_SECS))?
                        .url,
                )
            }
            Ok(_) => None,
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    Ok(Landing {
        name: event.name,
        expires_at: event.expires_at,
        cover_thumb_url,
    })
}
