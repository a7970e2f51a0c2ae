//! The viewer side: a gallery's landing page, unlocking it with an access code, and what
//! the code grants (photos, downloads, archives), behind a viewer token.
//!
//! Every gallery request starts from the public path `/{username}/{slug}`; an expired
//! event (or the tombstone of a deleted one) answers 410 on every route, before anything
//! else is looked at.

mod archives;
mod landing;
mod photos;
mod throttle;
mod unlock;
mod viewer;

pub use archives::{RequestArchive, archive_status, request_archive};
pub use landing::{Landing, landing};
pub use photos::{Download, ViewerPhoto, download, list_photos};
pub use unlock::{Unlock, Unlocked, unlock};
pub use viewer::{Viewer, viewer};

use crate::domain::{Event, Timestamp};
use crate::error::{Error, Result};

use super::Deps;

/// How long the signed thumbnail and web-copy URLs of a viewer's listing live: 10 minutes.
/// It bounds how long an already-listed URL outlives a revocation or an expiry (the app
/// lists again as the viewer scrolls, which re-checks the code).
pub const VIEWER_URL_SECS: u64 = 600;

/// How long a signed download URL lives: 5 minutes (it is used at once).
pub const DOWNLOAD_URL_SECS: u64 = 300;

/// The live event at a public path. An unknown username or path is 404
/// (`gallery_not_found`); an expired event, or the tombstone of a deleted one, is 410
/// (`gallery_expired`) with the expiry time when it is known.
pub async fn event_at(deps: &Deps, username: &str, slug: &str) -> Result<Event> {
    let not_found = || Error::not_found("gallery_not_found", "no such gallery");
    let username = username.to_ascii_lowercase();
    if username.len() > 64 || slug.len() > 128 {
        return Err(not_found());
    }
    let owner = match deps.catalog.find_user_by_username(&username).await {
        Ok(user) => user,
        Err(e) if e.is_not_found() => return Err(not_found()),
        Err(e) => return Err(e),
    };
    match deps.catalog.find_event_by_path(&owner.user_id, slug).await {
        Ok(event) if !event.is_expired(Timestamp::now()) => Ok(event),
        Ok(event) => Err(expired(event.expires_at)),
        Err(e) if e.is_not_found() => Err(not_found()),
        // A tombstone: the adapter's message says when the event expired.
        Err(Error::Expired { message, .. }) => Err(Error::expired("gallery_expired", message)),
        Err(e) => Err(e),
    }
}

/// The 410 of an expired gallery, saying when it expired.
fn expired(at: Timestamp) -> Error {
    Error::expired(
        "gallery_expired",
        format!("this gallery expired at {}", at.to_rfc3339()),
    )
}
