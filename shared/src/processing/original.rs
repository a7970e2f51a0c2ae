//! Processing one uploaded original: claim the photo, derive its variants, record the result.
//!
//! Safe under at-least-once, duplicate and out-of-order delivery: every state change is a
//! version-conditional write, so exactly one worker moves a photo to `processing` and then
//! to `ready` or `failed`, and a late duplicate finds the photo done and drops the message.

use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tracing::{info, instrument, warn};

use crate::domain::{
    Event, Photo, PhotoFailure, PhotoMetadata, PhotoStatus, Timestamp, Watermark, WatermarkSource,
    keys,
};
use crate::error::{Error, Result, RetryClass};
use crate::pipeline::DeriveSpec;
use crate::ports::{Blobs, Catalog, Queue};

/// One encoded derivative, ready to store.
#[derive(Debug, Clone)]
pub struct EncodedVariant {
    /// `thumb`, `web`, …: the last segment of its key.
    pub name: String,
    /// Media type of `bytes`.
    pub content_type: String,
    /// Width in pixels (upright).
    pub width: u32,
    /// Height in pixels (upright).
    pub height: u32,
    /// The encoded image.
    pub bytes: Bytes,
}

/// What deriving an original yields.
#[derive(Debug, Clone)]
pub struct DerivedPhoto {
    /// Upright size, capture time, camera, format, variant names.
    pub metadata: PhotoMetadata,
    /// The variants to store.
    pub variants: Vec<EncodedVariant>,
}

/// The event's watermark with the image it needs, if it is an image watermark.
#[derive(Debug, Clone)]
pub struct WatermarkInput {
    /// Position, opacity, scale, and text or image reference.
    pub settings: Watermark,
    /// The PNG's bytes for an image watermark.
    pub image: Option<Bytes>,
}

/// Turns an original into its variants. CPU-bound: callers run it off the async runtime.
pub trait PhotoDeriver: Send + Sync + std::fmt::Debug {
    /// Derives every standard variant from one decode. Permanent problems with the input
    /// (not an image, too large, corrupt) are errors of `RetryClass::Permanent`.
    fn derive(&self, original: &[u8], watermark: Option<&WatermarkInput>) -> Result<DerivedPhoto>;

    /// Renders one custom derivative (API `spec`) from one decode. A spec that does not fit
    /// the image is `Invalid` (`invalid_spec`).
    fn render(
        &self,
        original: &[u8],
        spec: &DeriveSpec,
        watermark: Option<&WatermarkInput>,
    ) -> Result<EncodedVariant>;
}

/// What processing needs, built once per process.
#[derive(Debug, Clone)]
pub struct ProcessDeps {
    /// Photo rows.
    pub catalog: Arc<dyn Catalog>,
    /// Originals in, derivatives out.
    pub blobs: Arc<dyn Blobs>,
    /// The image pipeline.
    pub deriver: Arc<dyn PhotoDeriver>,
    /// How long a claim lasts; must be shorter than the queue's visibility timeout so that a
    /// redelivery after a crash can take over.
    pub lease_secs: i64,
    /// The queue derivative-job messages arrive on (the process queue): a long job sends its
    /// next slice here.
    pub jobs_queue: Arc<dyn Queue>,
}

/// How handling one notification ended (for logs and tests). Errors are returned separately:
/// a retryable one means "put the message back".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not an original we know of: nothing to do.
    Ignored(&'static str),
    /// Its photo or event is gone (deleted while the upload was in flight, or expired): the
    /// original and any derivatives were deleted so nothing is orphaned.
    Discarded(&'static str),
    /// Another delivery already finished it.
    AlreadyDone(PhotoStatus),
    /// Derivatives written, photo `ready`.
    Ready,
    /// Permanently failed with this code; photo `failed`.
    Failed(String),
}

/// Processes the original at `key` (already URL-decoded).
#[instrument(skip(deps), fields(key))]
pub async fn process_original(deps: &ProcessDeps, key: &str) -> Result<Outcome> {
    let Some((owner_id, event_id, photo_id)) = keys::parse_original(key) else {
        return Ok(Outcome::Ignored("not an original"));
    };
    let photo = match deps.catalog.get_photo(event_id, photo_id).await {
        Ok(photo) if photo.owner_id == owner_id => photo,
        Ok(_) => return Ok(Outcome::Ignored("key owner does not match the photo")),
        Err(e) if e.is_not_found() => {
            discard(deps, key, &owner_id, event_id, photo_id).await?;
            return Ok(Outcome::Discarded("photo deleted or expired"));
        }
        Err(e) => return Err(e),
    };
    let event = match deps.catalog.get_event(event_id).await {
        Ok(event) => event,
        Err(Error::NotFound { .. } | Error::Expired { .. }) => {
            discard(deps, key, &owner_id, event_id, photo_id).await?;
            return Ok(Outcome::Discarded("event deleted or expired"));
        }
        Err(e) => return Err(e),
    };
    let now = Timestamp::now();
    let claimed = match claim(deps, photo, now).await? {
        Claim::Claimed(photo) => *photo,
        Claim::Done(status) => return Ok(Outcome::AlreadyDone(status)),
    };

    match derive_and_store(deps, &event, &claimed, key).await {
        Ok(metadata) => finish(deps, claimed, Finish::Ready(metadata)).await,
        Err(error) if error.retry_class() == RetryClass::Permanent => {
            let failure = PhotoFailure {
                code: error.code().to_owned(),
                message: error.to_string(),
            };
            finish(deps, claimed, Finish::Failed(failure)).await
        }
        Err(error) => {
            // Give the photo back so the redelivery does not wait for the lease to run out.
            release(deps, claimed).await;
            Err(error)
        }
    }
}

/// Deletes an original whose photo row is gone, and whatever was derived from it. An upload
/// that lands after its photo (or event) was deleted would otherwise stay in storage with
/// nothing pointing at it, past the reaper, which works from rows.
async fn discard(
    deps: &ProcessDeps,
    key: &str,
    owner_id: &crate::domain::UserId,
    event_id: crate::domain::EventId,
    photo_id: crate::domain::PhotoId,
) -> Result<()> {
    deps.blobs.delete(key).await?;
    let removed = deps
        .blobs
        .delete_prefix(&keys::derived_prefix(owner_id, event_id, photo_id))
        .await?;
    info!(
        key,
        derived_removed = removed,
        "original without a photo row deleted"
    );
    Ok(())
}

enum Claim {
    Claimed(Box<Photo>),
    Done(PhotoStatus),
}

/// Moves the photo to `processing` under a lease, or reports why not.
async fn claim(deps: &ProcessDeps, mut photo: Photo, now: Timestamp) -> Result<Claim> {
    for _ in 0..3 {
        let lease_live = photo.status == PhotoStatus::Processing
            && photo
                .processing_until
                .is_some_and(|until| !until.has_passed(now));
        match photo.status {
            PhotoStatus::Ready | PhotoStatus::Failed => return Ok(Claim::Done(photo.status)),
            PhotoStatus::Processing if lease_live => {
                // Someone else is on it. Retry later: if they crash, the lease runs out and the
                // redelivery takes over; if they finish, the redelivery finds it done.
                return Err(Error::Transient {
                    message: "photo is being processed by another worker".to_owned(),
                    source: None,
                });
            }
            PhotoStatus::Pending | PhotoStatus::Processing => {}
        }
        let mut next = photo.clone();
        next.status = PhotoStatus::Processing;
        next.processing_until = Some(now.plus_secs(deps.lease_secs));
        next.attempts = next.attempts.saturating_add(1);
        match deps.catalog.update_photo(&next).await {
            Ok(stored) => return Ok(Claim::Claimed(Box::new(stored))),
            Err(e) if e.is_conflict() => {
                photo = match deps.catalog.get_photo(photo.event_id, photo.photo_id).await {
                    Ok(p) => p,
                    Err(e) if e.is_not_found() => return Ok(Claim::Done(PhotoStatus::Failed)),
                    Err(e) => return Err(e),
                };
            }
            Err(e) => return Err(e),
        }
    }
    Err(Error::Transient {
        message: "photo row kept changing while claiming it".to_owned(),
        source: None,
    })
}

async fn derive_and_store(
    deps: &ProcessDeps,
    event: &Event,
    photo: &Photo,
    key: &str,
) -> Result<PhotoMetadata> {
    let original = match deps.blobs.get(key).await {
        Ok(bytes) => bytes,
        Err(e) if e.is_not_found() => {
            return Err(Error::invalid(
                "original_missing",
                "the uploaded file is no longer in storage",
            ));
        }
        Err(e) => return Err(e),
    };
    verify_checksum(photo, &original)?;
    // Recorded so a zip of this photo can write its headers before its data (archive).
    let crc32 = crc32fast::hash(&original);
    let watermark = load_watermark(deps.blobs.as_ref(), event).await?;
    let deriver = Arc::clone(&deps.deriver);
    let derived =
        tokio::task::spawn_blocking(move || deriver.derive(&original, watermark.as_ref()))
            .await
            .map_err(|e| Error::internal("image pipeline task failed", e))??;
    for variant in &derived.variants {
        let variant_key = keys::derived(
            &photo.owner_id,
            photo.event_id,
            photo.photo_id,
            &variant.name,
        );
        deps.blobs
            .put(&variant_key, variant.bytes.clone(), &variant.content_type)
            .await?;
    }
    info!(photo_id = %photo.photo_id, width = derived.metadata.width, height = derived.metadata.height, variants = derived.variants.len(), "derived");
    Ok(PhotoMetadata {
        crc32: Some(crc32),
        ..derived.metadata
    })
}

/// Single-PUT uploads were checked by storage against the signed SHA-256; multipart uploads
/// were not, so the processor checks every original end to end.
fn verify_checksum(photo: &Photo, original: &[u8]) -> Result<()> {
    let actual = hex::encode(Sha256::digest(original));
    if actual == photo.sha256 {
        Ok(())
    } else {
        Err(Error::invalid(
            "checksum_mismatch",
            "the uploaded bytes do not match the SHA-256 declared for them",
        ))
    }
}

/// The event's watermark settings with the PNG an image watermark needs (`None` if the
/// event has none, or its image has been deleted).
pub(crate) async fn load_watermark(
    blobs: &dyn Blobs,
    event: &Event,
) -> Result<Option<WatermarkInput>> {
    let Some(settings) = event.watermark.clone() else {
        return Ok(None);
    };
    let image = match &settings.source {
        WatermarkSource::Text { .. } => None,
        WatermarkSource::Image { image_photo_id } => {
            let key = keys::original(&event.owner_id, event.event_id, *image_photo_id);
            match blobs.get(&key).await {
                Ok(bytes) => Some(bytes),
                Err(e) if e.is_not_found() => {
                    warn!(event_id = %event.event_id, "watermark image is gone; deriving without it");
                    return Ok(None);
                }
                Err(e) => return Err(e),
            }
        }
    };
    Ok(Some(WatermarkInput { settings, image }))
}

enum Finish {
    Ready(PhotoMetadata),
    Failed(PhotoFailure),
}

/// Records the result, conditional on still holding the claim.
async fn finish(deps: &ProcessDeps, claimed: Photo, finish: Finish) -> Result<Outcome> {
    let mut next = claimed.clone();
    next.processing_until = None;
    let outcome = match finish {
        Finish::Ready(metadata) => {
            next.status = PhotoStatus::Ready;
            next.metadata = Some(metadata);
            next.failure = None;
            Outcome::Ready
        }
        Finish::Failed(failure) => {
            next.status = PhotoStatus::Failed;
            let code = failure.code.clone();
            next.failure = Some(failure);
            Outcome::Failed(code)
        }
    };
    match deps.catalog.update_photo(&next).await {
        Ok(_) => Ok(outcome),
        Err(e) if e.is_conflict() || e.is_not_found() => {
            // Our lease ran out and another worker took over (it writes the same derivatives
            // from the same original), or the photo was deleted meanwhile.
            let current = deps
                .catalog
                .get_photo(claimed.event_id, claimed.photo_id)
                .await;
            Ok(Outcome::AlreadyDone(
                current.map(|p| p.status).unwrap_or(PhotoStatus::Failed),
            ))
        }
        Err(e) => Err(e),
    }
}

/// Best effort: back to `pending` after a transient failure.
async fn release(deps: &ProcessDeps, claimed: Photo) {
    let mut next = claimed;
    next.status = PhotoStatus::Pending;
    next.processing_until = None;
    if let Err(e) = deps.catalog.update_photo(&next).await {
        warn!(error = %e, "could not release the claim; the lease will expire instead");
    }
}
