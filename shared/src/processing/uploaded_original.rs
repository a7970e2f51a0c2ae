//! Processing one uploaded original: claim the photo, derive its variants, record the result.
//!
//! Safe under at-least-once, duplicate and out-of-order delivery: every state change is a
//! version-conditional write, so exactly one worker moves a photo to `processing` and then
//! to `ready` or `failed`, and a late duplicate finds the photo done and drops the message.

use sha2::{Digest, Sha256};
use std::sync::Arc;
use tracing::{info, instrument, warn};

use crate::domain::{
    Event, Photo, PhotoFailure, PhotoMetadata, PhotoStatus, Timestamp, WatermarkSource, keys,
};
use crate::error::{Error, Result, RetryClass};
use crate::pipeline;
use crate::ports::Blobs;

use super::deps::{MAX_ATTEMPTS, ProcessDeps};
use super::deriver::WatermarkInput;

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
    if claimed.attempts > MAX_ATTEMPTS {
        // Every earlier attempt ended in a crash, a panic or an internal error: a poison
        // photo. Recorded as failed (the retry route can re-queue it) instead of cycling
        // through the queue into the dead-letter queue, taking batches with it.
        let failure = PhotoFailure {
            code: "processing_failed_repeatedly".to_owned(),
            message: format!(
                "processing this photo failed {MAX_ATTEMPTS} times without a result; retry it, or upload it again"
            ),
        };
        warn!(photo_id = %claimed.photo_id, attempts = claimed.attempts, "poison photo marked failed");
        return finish(deps, claimed, Finish::Failed(failure)).await;
    }

    let outcome = match derive_and_store(deps, &event, &claimed, key).await {
        Ok(metadata) => finish(deps, claimed.clone(), Finish::Ready(metadata)).await,
        Err(error) if error.retry_class() == RetryClass::Permanent => {
            let failure = PhotoFailure {
                code: error.code().to_owned(),
                message: error.to_string(),
            };
            finish(deps, claimed.clone(), Finish::Failed(failure)).await
        }
        Err(error) => Err(error),
    };
    if outcome
        .as_ref()
        .is_err_and(|e| e.retry_class() == RetryClass::Retry)
    {
        // Give the photo back so the redelivery does not wait for the lease to run out. (Had
        // a final write landed after all, the release loses on its version: no change.)
        release(deps, claimed).await;
    }
    outcome
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
    let original = read_original(deps.blobs.as_ref(), key, deps.max_original_bytes).await?;
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

/// The original at `key`, read whole into one buffer once its size is known to be at most
/// `max_bytes` (the largest original the pipeline processes): a larger one is a permanent
/// `file_too_large`, refused before a byte of it is read.
pub(crate) async fn read_original(
    blobs: &dyn crate::ports::Blobs,
    key: &str,
    max_bytes: u64,
) -> Result<bytes::Bytes> {
    match blobs.get_bounded(key, max_bytes).await {
        Ok(bytes) => Ok(bytes),
        Err(e) if e.is_not_found() => Err(Error::invalid(
            "original_missing",
            "the uploaded file is no longer in storage",
        )),
        Err(Error::TooLarge { .. }) => Err(Error::too_large(
            "file_too_large",
            format!("originals are processed up to {max_bytes} bytes"),
        )),
        Err(e) => Err(e),
    }
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
            let max = u64::try_from(pipeline::watermark::MAX_MARK_BYTES).unwrap_or(u64::MAX);
            match blobs.get_bounded(&key, max).await {
                Ok(bytes) => Some(bytes),
                Err(e) if e.is_not_found() => {
                    warn!(event_id = %event.event_id, "watermark image is gone; deriving without it");
                    return Ok(None);
                }
                // Only a mark set before the API checked marks can be this large.
                Err(Error::TooLarge { .. }) => {
                    warn!(event_id = %event.event_id, "watermark image is too large; deriving without it");
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
    let (event_id, photo_id) = (claimed.event_id, claimed.photo_id);
    match deps.catalog.update_photo(&next).await {
        Ok(_) => return Ok(outcome),
        Err(e) if e.is_not_found() => {}
        // Our lease ran out and another worker took over (it writes the same derivatives
        // from the same original), or the photo was deleted meanwhile.
        Err(e) if e.is_conflict() => match deps.catalog.get_photo(event_id, photo_id).await {
            Ok(current) => return Ok(Outcome::AlreadyDone(current.status)),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        },
        Err(e) => return Err(e),
    }
    // The photo (or its event) was deleted while we worked: the delete may have cleared
    // its prefix before we wrote the derivatives, so clear them (and the original) now.
    let key = keys::original(&claimed.owner_id, event_id, photo_id);
    discard(deps, &key, &claimed.owner_id, event_id, photo_id).await?;
    Ok(Outcome::Discarded("photo deleted while it was processed"))
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
