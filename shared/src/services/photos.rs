//! The photographer's view of photos: list, read, delete, retry.

use serde::Serialize;
use tracing::info;

use crate::domain::{
    Caller, EventId, Page, PageRequest, Photo, PhotoFailure, PhotoId, PhotoStatus, Timestamp,
    UploadKind, keys,
};
use crate::error::{Error, Result};
use crate::ports::{PhotoQuery, Presign};

use super::{Deps, owned_event};

/// A photo as the photographer sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhotoView {
    /// Id.
    pub photo_id: PhotoId,
    /// Original file name.
    pub filename: String,
    /// Declared media type.
    pub content_type: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Lowercase hex SHA-256.
    pub sha256: String,
    /// `pending`, `processing`, `ready` or `failed`.
    pub status: PhotoStatus,
    /// Why it failed, when it did.
    pub error: Option<PhotoFailure>,
    /// `single` or `multipart`.
    pub upload: &'static str,
    /// When it was registered.
    pub created_at: Timestamp,
    /// Upright width, once ready.
    pub width: Option<u32>,
    /// Upright height, once ready.
    pub height: Option<u32>,
    /// Capture time, when known.
    pub taken_at: Option<Timestamp>,
    /// Camera, when known.
    pub camera: Option<String>,
    /// Signed thumbnail URL, once ready.
    pub thumb_url: Option<String>,
    /// Signed web-size URL, once ready.
    pub web_url: Option<String>,
}

/// Builds views, signing derivative URLs with one signing time for the whole page.
#[derive(Debug)]
pub struct PhotoViewer<'a> {
    deps: &'a Deps,
    presign: Presign,
}

impl<'a> PhotoViewer<'a> {
    /// A viewer signing URLs valid for the configured view lifetime from now.
    pub fn new(deps: &'a Deps) -> Self {
        Self {
            deps,
            presign: Presign::now(deps.limits.view_url_secs),
        }
    }

    /// The view of one photo.
    pub fn view(&self, photo: Photo) -> Result<PhotoView> {
        let (thumb_url, web_url) = if photo.status == PhotoStatus::Ready {
            (
                Some(self.sign(&photo, "thumb")?),
                Some(self.sign(&photo, "web")?),
            )
        } else {
            (None, None)
        };
        let meta = photo.metadata.as_ref();
        Ok(PhotoView {
            photo_id: photo.photo_id,
            width: meta.map(|m| m.width),
            height: meta.map(|m| m.height),
            taken_at: meta.and_then(|m| m.taken_at),
            camera: meta.and_then(|m| m.camera.clone()),
            upload: match photo.upload {
                UploadKind::Single => "single",
                UploadKind::Multipart { .. } => "multipart",
            },
            filename: photo.filename,
            content_type: photo.content_type,
            bytes: photo.bytes,
            sha256: photo.sha256,
            status: photo.status,
            error: photo.failure,
            created_at: photo.created_at,
            thumb_url,
            web_url,
        })
    }

    fn sign(&self, photo: &Photo, variant: &str) -> Result<String> {
        let key = keys::derived(&photo.owner_id, photo.event_id, photo.photo_id, variant);
        Ok(self.deps.blobs.presign_get(&key, None, self.presign)?.url)
    }
}

/// Query of `GET …/photos`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPhotos {
    /// Filter and order.
    pub query: PhotoQuery,
    /// Page.
    pub page: PageRequest,
}

/// A page of the event's photos with signed thumbnail and web URLs for the ready ones.
pub async fn list(
    deps: &Deps,
    caller: &Caller,
    event_id: EventId,
    req: &ListPhotos,
) -> Result<Page<PhotoView>> {
    owned_event(deps, &caller.user_id, event_id).await?;
    let page = deps
        .catalog
        .list_photos(event_id, &req.query, &req.page)
        .await?;
    let viewer = PhotoViewer::new(deps);
    let items = page
        .items
        .into_iter()
        .map(|p| viewer.view(p))
        .collect::<Result<Vec<_>>>()?;
    Ok(Page {
        items,
        next: page.next,
    })
}

/// One photo of the caller's event.
pub async fn get(
    deps: &Deps,
    caller: &Caller,
    event_id: EventId,
    photo_id: PhotoId,
) -> Result<PhotoView> {
    let photo = owned_photo(deps, caller, event_id, photo_id).await?;
    PhotoViewer::new(deps).view(photo)
}

async fn owned_photo(
    deps: &Deps,
    caller: &Caller,
    event_id: EventId,
    photo_id: PhotoId,
) -> Result<Photo> {
    owned_event(deps, &caller.user_id, event_id).await?;
    deps.catalog.get_photo(event_id, photo_id).await
}

/// Deletes a photo: an unfinished multipart upload is aborted, the original and every
/// derivative deleted, then the row, and the event's counter given back; then its
/// derivatives once more, because the processor (or a custom derivative) may have written
/// one after the first pass while the row still stood — once the row is gone, writers
/// clean up after themselves instead. If it was the event's cover, the cover is cleared.
pub async fn delete(
    deps: &Deps,
    caller: &Caller,
    event_id: EventId,
    photo_id: PhotoId,
) -> Result<()> {
    let photo = owned_photo(deps, caller, event_id, photo_id).await?;
    let original = keys::original(&photo.owner_id, event_id, photo_id);
    if let UploadKind::Multipart { upload_id, .. } = &photo.upload
        && photo.status == PhotoStatus::Pending
    {
        deps.blobs.abort_multipart(&original, upload_id).await?;
    }
    let derived = keys::derived_prefix(&photo.owner_id, event_id, photo_id);
    deps.blobs.delete(&original).await?;
    deps.blobs.delete_prefix(&derived).await?;
    // Gives the counter back too, once even if an abort of its upload races this.
    deps.catalog.delete_photo(event_id, photo_id).await?;
    deps.blobs.delete_prefix(&derived).await?;
    let mut event = deps.catalog.get_event(event_id).await?;
    if event.cover_photo_id == Some(photo_id) {
        event.cover_photo_id = None;
        deps.catalog.update_event(&event).await?;
    }
    info!(%event_id, %photo_id, "photo deleted");
    Ok(())
}

/// Puts a failed photo back to `pending` and re-queues it for the processor, with the same
/// message S3 sends when an original is stored.
pub async fn retry(
    deps: &Deps,
    caller: &Caller,
    event_id: EventId,
    photo_id: PhotoId,
) -> Result<PhotoView> {
    let mut photo = owned_photo(deps, caller, event_id, photo_id).await?;
    if photo.status != PhotoStatus::Failed {
        return Err(Error::conflict(
            "not_failed",
            format!(
                "only failed photos can be retried; this one is {}",
                photo.status.as_str()
            ),
        ));
    }
    photo.status = PhotoStatus::Pending;
    photo.failure = None;
    photo.processing_until = None;
    // A fresh set of attempts: the processor marks a photo failed after too many.
    photo.attempts = 0;
    let photo = deps.catalog.update_photo(&photo).await?;
    let key = keys::original(&photo.owner_id, event_id, photo_id);
    deps.process_queue()?
        .send(&s3_created_notification(&deps.bucket, &key, photo.bytes))
        .await?;
    info!(%event_id, %photo_id, "photo re-queued");
    PhotoViewer::new(deps).view(photo)
}

/// The body S3 sends to SQS when `key` is stored (the processor's only input format).
pub fn s3_created_notification(bucket: &str, key: &str, bytes: u64) -> String {
    // S3 URL-encodes keys in notifications; ours only hold `A-Z a-z 0-9 - _ . : /`.
    let encoded: String = percent_encoding::utf8_percent_encode(key, &KEY_ENCODE_SET).to_string();
    serde_json::json!({
        "Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "us-east-1",
            "eventTime": Timestamp::now().to_rfc3339(),
            "eventName": "ObjectCreated:Put",
            "userIdentity": {"principalId": "picpass-retry"},
            "requestParameters": {"sourceIPAddress": "127.0.0.1"},
            "responseElements": {},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "picpass-retry",
                "bucket": {"name": bucket, "ownerIdentity": {"principalId": "picpass"}, "arn": format!("arn:aws:s3:::{bucket}")},
                "object": {"key": encoded, "size": bytes, "sequencer": "0"}
            }
        }]
    })
    .to_string()
}

const KEY_ENCODE_SET: percent_encoding::AsciiSet = percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'/')
    .remove(b'~');
