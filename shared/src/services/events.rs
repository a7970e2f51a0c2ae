//! Events: create, list, read, change, delete (every object and row).

use serde::{Deserialize, Serialize};
use tracing::info;

use crate::domain::{
    Caller, Event, EventId, Page, PageRequest, PhotoId, PhotoStatus, Timestamp, UploadKind,
    Watermark, WatermarkSource, keys, validate,
};
use crate::error::{Error, Result};
use crate::pipeline;
use crate::ports::PhotoQuery;
use crate::reaping;

use super::{Deps, owned_event, profile};

/// An event as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventView {
    /// Id.
    pub event_id: EventId,
    /// Display name.
    pub name: String,
    /// Public path segment.
    pub slug: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it and everything in it is deleted.
    pub expires_at: Timestamp,
    /// Landing-page cover, if chosen.
    pub cover_photo_id: Option<PhotoId>,
    /// Watermark of viewer copies, if set.
    pub watermark: Option<Watermark>,
    /// Photos registered.
    pub photo_count: u64,
}

impl From<Event> for EventView {
    fn from(e: Event) -> Self {
        Self {
            event_id: e.event_id,
            name: e.name,
            slug: e.slug,
            created_at: e.created_at,
            expires_at: e.expires_at,
            cover_photo_id: e.cover_photo_id,
            watermark: e.watermark,
            photo_count: e.photo_count,
        }
    }
}

/// `POST /api/events` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateEvent {
    /// Display name.
    pub name: String,
    /// Public path segment; derived from the name when absent.
    #[serde(default, deserialize_with = "super::not_null")]
    pub slug: Option<String>,
    /// Lifetime, 1 hour to 365 days.
    pub ttl_seconds: i64,
}

/// `PATCH /api/events/{event_id}` body: only the fields present change; `null` clears the
/// cover and the watermark.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchEvent {
    /// New name.
    #[serde(default, deserialize_with = "super::not_null")]
    pub name: Option<String>,
    /// New expiry; in the past expires the event at once.
    #[serde(default, deserialize_with = "super::not_null")]
    pub expires_at: Option<Timestamp>,
    /// New cover (`null` clears).
    #[serde(default, deserialize_with = "super::present")]
    pub cover_photo_id: Option<Option<PhotoId>>,
    /// New watermark (`null` clears).
    #[serde(default, deserialize_with = "super::present")]
    pub watermark: Option<Option<Watermark>>,
}

/// Creates an event. A slug derived from the name that is taken gets `-2`, `-3`… appended;
/// a slug the caller chose that is taken is a `Conflict` (`slug_taken`).
pub async fn create(deps: &Deps, caller: &Caller, req: CreateEvent) -> Result<EventView> {
    let name = validate::event_name(&req.name)?;
    let ttl = validate::ttl_seconds(req.ttl_seconds)?;
    // The public link needs the username, so the profile row must exist.
    profile::ensure_user(deps, caller).await?;
    let (base, derived) = match &req.slug {
        Some(slug) => (validate::slug(slug)?, false),
        None => (validate::slug_from_name(&name), true),
    };
    let now = Timestamp::now();
    let attempts = if derived { 5 } else { 1 };
    for n in 1..=attempts {
        let slug = if n == 1 {
            base.clone()
        } else {
            let suffix = format!("-{n}");
            let keep = 64 - suffix.len();
            format!(
                "{}{suffix}",
                base.chars()
                    .take(keep)
                    .collect::<String>()
                    .trim_end_matches('-')
            )
        };
        let event = Event {
            event_id: EventId::generate(),
            owner_id: caller.user_id.clone(),
            name: name.clone(),
            slug,
            created_at: now,
            expires_at: now.plus_secs(ttl),
            cover_photo_id: None,
            watermark: None,
            photo_count: 0,
            version: 0,
        };
        match deps.catalog.insert_event(&event).await {
            Ok(()) => {
                info!(event_id = %event.event_id, slug = %event.slug, "event created");
                return Ok(event.into());
            }
            Err(e) if e.is_conflict() && n < attempts => continue,
            Err(e) => return Err(e),
        }
    }
    Err(Error::conflict("slug_taken", "that slug is taken"))
}

/// The caller's live events, newest first.
pub async fn list(deps: &Deps, caller: &Caller, page: &PageRequest) -> Result<Page<EventView>> {
    Ok(deps
        .catalog
        .list_events_by_owner(&caller.user_id, page)
        .await?
        .map(EventView::from))
}

/// One of the caller's events.
pub async fn get(deps: &Deps, caller: &Caller, event_id: EventId) -> Result<EventView> {
    owned_event(deps, &caller.user_id, event_id)
        .await
        .map(EventView::from)
}

/// Changes name, expiry, cover or watermark. Photos named must belong to the event.
pub async fn patch(
    deps: &Deps,
    caller: &Caller,
    event_id: EventId,
    req: PatchEvent,
) -> Result<EventView> {
    let mut event = owned_event(deps, &caller.user_id, event_id).await?;
    if let Some(name) = &req.name {
        event.name = validate::event_name(name)?;
    }
    if let Some(expires_at) = req.expires_at {
        let latest = event.created_at.plus_secs(*validate::TTL_BOUNDS_SECS.end());
        if expires_at > latest {
            return Err(Error::invalid(
                "invalid_expires_at",
                "an event lives at most 365 days from its creation",
            ));
        }
        event.expires_at = expires_at;
    }
    if let Some(cover) = req.cover_photo_id {
        if let Some(photo_id) = cover {
            photo_in_event(deps, event_id, photo_id, "cover_photo_id").await?;
        }
        event.cover_photo_id = cover;
    }
    if let Some(watermark) = req.watermark {
        if let Some(w) = &watermark {
            check_watermark(deps, &event, w).await?;
        }
        event.watermark = watermark;
    }
    let updated = deps.catalog.update_event(&event).await?;
    Ok(updated.into())
}

async fn photo_in_event(
    deps: &Deps,
    event_id: EventId,
    photo_id: PhotoId,
    field: &str,
) -> Result<()> {
    match deps.catalog.get_photo(event_id, photo_id).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Err(Error::invalid(
            format!("invalid_{field}"),
            format!("{field}: photo {photo_id} is not in this event"),
        )),
        Err(e) => Err(e),
    }
}

async fn check_watermark(deps: &Deps, event: &Event, w: &Watermark) -> Result<()> {
    let bad = |m: &str| Err(Error::invalid("invalid_watermark", m.to_owned()));
    if !(0.0..=1.0).contains(&w.opacity) {
        return bad("watermark.opacity must be 0 to 1");
    }
    if !(0.01..=1.0).contains(&w.scale) {
        return bad("watermark.scale must be 0.01 to 1");
    }
    match &w.source {
        WatermarkSource::Text { text } => {
            let n = text.trim().chars().count();
            if n == 0 || n > 200 || text.chars().any(char::is_control) {
                return bad("watermark.text must be 1 to 200 characters");
            }
        }
        WatermarkSource::Image { image_photo_id } => {
            photo_in_event(deps, event.event_id, *image_photo_id, "watermark").await?;
            check_watermark_png(deps, event, *image_photo_id).await?;
        }
    }
    Ok(())
}

/// Refuses an image watermark the pipeline would refuse or draw as a sliver (see
/// [`pipeline::check_watermark_image`]), now rather than on every photo processed later:
/// its bytes must have arrived, be at most [`pipeline::watermark::MAX_MARK_BYTES`] (read
/// with that bound) and decode as a PNG of sane sides.
async fn check_watermark_png(deps: &Deps, event: &Event, photo_id: PhotoId) -> Result<()> {
    let key = keys::original(&event.owner_id, event.event_id, photo_id);
    let max = u64::try_from(pipeline::watermark::MAX_MARK_BYTES).unwrap_or(u64::MAX);
    let png = match deps.blobs.get_bounded(&key, max).await {
        Ok(png) => png,
        Err(e) if e.is_not_found() => {
            return Err(Error::invalid(
                "invalid_watermark",
                format!("watermark: photo {photo_id} has not been uploaded yet"),
            ));
        }
        Err(Error::TooLarge { .. }) => {
            return Err(Error::invalid(
                "invalid_watermark",
                format!("watermark: a watermark PNG may have at most {max} bytes"),
            ));
        }
        Err(e) => return Err(e),
    };
    pipeline::check_watermark_image(&png)
}

/// Deletes the event and everything in it: its unfinished multipart uploads are aborted,
/// then the event is expired (so no new upload is accepted, and should anything below fail
/// the reaper finishes the job), then its objects and its rows are deleted.
pub async fn delete(deps: &Deps, caller: &Caller, event_id: EventId) -> Result<()> {
    let mut event = owned_event(deps, &caller.user_id, event_id).await?;
    abort_pending_multiparts(deps, &event).await?;
    event.expires_at = Timestamp::now();
    let event = deps.catalog.update_event(&event).await?;
    let objects = reaping::delete_event_objects(deps.blobs.as_ref(), &event).await?;
    deps.catalog.delete_event(&event, None).await?;
    info!(event_id = %event.event_id, objects, "event deleted");
    Ok(())
}

async fn abort_pending_multiparts(deps: &Deps, event: &Event) -> Result<()> {
    let query = PhotoQuery {
        status: Some(PhotoStatus::Pending),
        ..PhotoQuery::default()
    };
    let mut page = PageRequest::first(200);
    loop {
        let photos = match deps
            .catalog
            .list_photos(event.event_id, &query, &page)
            .await
        {
            Ok(p) => p,
            Err(e) if e.is_not_found() || matches!(e, Error::Expired { .. }) => return Ok(()),
            Err(e) => return Err(e),
        };
        for photo in &photos.items {
            if let UploadKind::Multipart { upload_id, .. } = &photo.upload {
                let key = keys::original(&photo.owner_id, photo.event_id, photo.photo_id);
                deps.blobs.abort_multipart(&key, upload_id).await?;
            }
        }
        match photos.next {
            Some(cursor) => page = PageRequest::after(200, cursor),
            None => return Ok(()),
        }
    }
}
