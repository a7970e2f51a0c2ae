//! Custom derivatives (API `spec`): one ready photo rendered to a spec and stored. The
//! synchronous API route and the `process` function's derivative jobs both come here.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tracing::info;

use super::deriver::PhotoDeriver;
use super::uploaded_original::{load_watermark, read_original};
use crate::domain::{
    Event, Job, JobId, JobItem, JobKind, JobState, Photo, PhotoId, PhotoStatus, Timestamp, keys,
};
use crate::error::{Error, Result};
use crate::pipeline::DeriveSpec;
use crate::ports::{Blobs, Catalog};

/// The `request` of a derivative job row: what the API accepted, what the worker does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DerivativeJobRequest {
    /// Applied to every photo.
    pub spec: DeriveSpec,
    /// The photos, without repeats, in the order asked.
    pub photo_ids: Vec<PhotoId>,
}

impl DerivativeJobRequest {
    /// The job row for this request in `event`: queued, one item per photo, expiring with
    /// the event.
    pub fn into_job(self, event: &Event) -> Result<Job> {
        let total =
            u32::try_from(self.photo_ids.len()).map_err(|e| Error::internal("job size", e))?;
        let items = self
            .photo_ids
            .iter()
            .map(|&photo_id| JobItem {
                photo_id,
                key: None,
                error: None,
            })
            .collect();
        Ok(Job {
            event_id: event.event_id,
            job_id: JobId::generate(),
            kind: JobKind::Derivatives,
            state: JobState::Queued,
            total,
            done: 0,
            failed: 0,
            items,
            request: serde_json::to_value(&self).map_err(|e| Error::internal("job request", e))?,
            result_key: None,
            created_at: Timestamp::now(),
            expires_at: event.expires_at,
            version: 0,
            archive: None,
        })
    }
}

/// A custom derivative in storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDerivative {
    /// Its object key.
    pub key: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Encoded size.
    pub bytes: u64,
}

/// Where the derivative of `photo` made to `spec` lives. The key is named by the spec's
/// digest, so asking twice for the same thing overwrites one object instead of piling up
/// copies, and the photo's prefix (deleted with the photo) holds it.
pub fn custom_key(photo: &Photo, spec: &DeriveSpec) -> Result<String> {
    let canonical = serde_json::to_vec(spec).map_err(|e| Error::internal("spec digest", e))?;
    let digest = hex::encode(Sha256::digest(&canonical));
    let format = spec.format.unwrap_or_default();
    Ok(keys::derived(
        &photo.owner_id,
        photo.event_id,
        photo.photo_id,
        &format!("custom-{}.{}", &digest[..16], format.extension()),
    ))
}

/// Renders `spec` of a ready `photo` of `event` from its original and stores the result.
///
/// Permanent problems (`photo_not_ready`, `original_missing`, `no_watermark`, a spec that
/// does not fit the image) are `Invalid` errors; storage failures are transient.
pub async fn render_and_store(
    catalog: &dyn Catalog,
    blobs: &Arc<dyn Blobs>,
    deriver: &Arc<dyn PhotoDeriver>,
    max_original_bytes: u64,
    event: &Event,
    photo: &Photo,
    spec: &DeriveSpec,
) -> Result<StoredDerivative> {
    if photo.status != PhotoStatus::Ready {
        return Err(Error::invalid(
            "photo_not_ready",
            format!(
                "photo {} is {}, not ready",
                photo.photo_id,
                photo.status.as_str()
            ),
        ));
    }
    let watermark = if spec.watermark {
        if event.watermark.is_none() {
            return Err(Error::invalid(
                "no_watermark",
                "spec.watermark needs the event to have a watermark",
            ));
        }
        load_watermark(blobs.as_ref(), event).await?
    } else {
        None
    };
    let original_key = keys::original(&photo.owner_id, photo.event_id, photo.photo_id);
    let original = read_original(blobs.as_ref(), &original_key, max_original_bytes).await?;
    let key = custom_key(photo, spec)?;
    let rendered = {
        let deriver = Arc::clone(deriver);
        let spec = spec.clone();
        tokio::task::spawn_blocking(move || deriver.render(&original, &spec, watermark.as_ref()))
            .await
            .map_err(|e| Error::internal("image pipeline task failed", e))??
    };
    let bytes = rendered.bytes.len() as u64;
    blobs
        .put(&key, rendered.bytes, &rendered.content_type)
        .await?;
    // A delete of the photo (or its event) may have cleared its prefix while we rendered:
    // with the row gone, what we just wrote would outlive it, so take it back.
    if let Err(e) = catalog.get_photo(photo.event_id, photo.photo_id).await {
        if e.is_not_found() {
            blobs.delete(&key).await?;
            return Err(Error::not_found("photo_not_found", "the photo was deleted"));
        }
        return Err(e);
    }
    info!(photo_id = %photo.photo_id, key, width = rendered.width, height = rendered.height, bytes, "custom derivative stored");
    Ok(StoredDerivative {
        key,
        width: rendered.width,
        height: rendered.height,
        bytes,
    })
}
