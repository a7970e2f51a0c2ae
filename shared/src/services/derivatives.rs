//! Custom derivatives: the spec (the pipeline's [`DeriveSpec`]) is validated here and
//! ownership and readiness checked; one photo is rendered at once, many are recorded as a
//! job and queued for the `process` function.

use serde::{Deserialize, Serialize};
use tracing::info;

use crate::domain::{
    Caller, EventId, JobId, JobKind, JobMessage, JobState, Photo, PhotoId, PhotoStatus,
};
use crate::error::{Error, Result};
use crate::pipeline::DeriveSpec;
use crate::ports::Presign;
use crate::processing::{DerivativeJobRequest, PhotoDeriver, PipelineDeriver, render_and_store};

use super::{Deps, at_index, owned_event};

/// Most photos in one async job.
pub const MAX_JOB_PHOTOS: usize = 500;

/// `POST …/photos/{photo_id}/derivatives` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeriveOne {
    /// What to make.
    pub spec: DeriveSpec,
}

/// `POST …/derivatives` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeriveMany {
    /// 1–500 ready photos of the event.
    pub photo_ids: Vec<PhotoId>,
    /// What to make of each.
    pub spec: DeriveSpec,
}

/// `202 {job_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobAccepted {
    /// Poll `GET …/derivatives/{job_id}`.
    pub job_id: JobId,
}

/// One photo's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobItemView {
    /// The photo.
    pub photo_id: PhotoId,
    /// Signed URL of the result, when done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Why it failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A derivative job's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobView {
    /// Id.
    pub job_id: JobId,
    /// `queued`, `running`, `done`, `failed`.
    pub state: JobState,
    /// Items done.
    pub done: u32,
    /// Items failed.
    pub failed: u32,
    /// Items in all.
    pub total: u32,
    /// Per-photo outcomes.
    pub items: Vec<JobItemView>,
}

/// `200 {url, width, height, bytes}` of the synchronous route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DerivativeView {
    /// Signed GET URL of the result.
    pub url: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Encoded size.
    pub bytes: u64,
}

/// Checks that the caller may derive from `photo_id` and that it is ready (422
/// `photo_not_ready` otherwise: there is nothing to derive from yet).
async fn ready_photo(deps: &Deps, event_id: EventId, photo_id: PhotoId) -> Result<Photo> {
    let photo = deps.catalog.get_photo(event_id, photo_id).await?;
    if photo.status != PhotoStatus::Ready {
        return Err(Error::invalid(
            "photo_not_ready",
            format!("photo {photo_id} is {}, not ready", photo.status.as_str()),
        ));
    }
    Ok(photo)
}

fn check_spec_against_event(deps: &Deps, spec: &DeriveSpec, has_watermark: bool) -> Result<()> {
    spec.validate(&deps.limits.image)?;
    if spec.watermark && !has_watermark {
        return Err(Error::invalid(
            "no_watermark",
            "spec.watermark needs the event to have a watermark (PATCH the event first)",
        ));
    }
    Ok(())
}

/// Renders one custom derivative now, stores it under the photo and answers a signed URL.
/// The same spec asked again overwrites the same object (see [`crate::processing::custom_key`]).
pub async fn derive_one(
    deps: &Deps,
    caller: &Caller,
    event_id: EventId,
    photo_id: PhotoId,
    req: DeriveOne,
) -> Result<DerivativeView> {
    let event = owned_event(deps, &caller.user_id, event_id).await?;
    check_spec_against_event(deps, &req.spec, event.watermark.is_some())?;
    let photo = ready_photo(deps, event_id, photo_id).await?;
    let deriver: std::sync::Arc<dyn PhotoDeriver> =
        std::sync::Arc::new(PipelineDeriver::with_limits(deps.limits.image));
    let stored = render_and_store(
        deps.catalog.as_ref(),
        &deps.blobs,
        &deriver,
        deps.limits.multipart_max_bytes,
        &event,
        &photo,
        &req.spec,
    )
    .await?;
    let url = deps
        .blobs
        .presign_get(&stored.key, None, Presign::now(deps.limits.view_url_secs))?
        .url;
    Ok(DerivativeView {
        url,
        width: stored.width,
        height: stored.height,
        bytes: stored.bytes,
    })
}

/// Records an async derivative job for many photos and queues it.
pub async fn create_job(
    deps: &Deps,
    caller: &Caller,
    event_id: EventId,
    req: DeriveMany,
) -> Result<JobAccepted> {
    let event = owned_event(deps, &caller.user_id, event_id).await?;
    check_spec_against_event(deps, &req.spec, event.watermark.is_some())?;
    if req.photo_ids.is_empty() || req.photo_ids.len() > MAX_JOB_PHOTOS {
        return Err(Error::invalid(
            "invalid_photo_ids",
            format!("photo_ids must name 1 to {MAX_JOB_PHOTOS} photos"),
        ));
    }
    let mut ids = Vec::with_capacity(req.photo_ids.len());
    for id in &req.photo_ids {
        if !ids.contains(id) {
            ids.push(*id);
        }
    }
    for (i, id) in ids.iter().enumerate() {
        ready_photo(deps, event_id, *id)
            .await
            .map(drop)
            .map_err(|e| {
                let e = if e.is_not_found() {
                    Error::invalid(
                        "invalid_photo_ids",
                        format!("photo {id} is not in this event"),
                    )
                } else {
                    e
                };
                at_index("photo_ids", i, e)
            })?;
    }
    let job = DerivativeJobRequest {
        spec: req.spec,
        photo_ids: ids,
    }
    .into_job(&event)?;
    let total = job.total;
    deps.catalog.insert_job(&job).await?;
    let message = JobMessage {
        kind: JobKind::Derivatives,
        event_id,
        job_id: job.job_id,
    };
    let body = serde_json::to_string(&message).map_err(|e| Error::internal("job message", e))?;
    deps.process_queue()?.send(&body).await?;
    info!(%event_id, job_id = %job.job_id, total, "derivative job queued");
    Ok(JobAccepted { job_id: job.job_id })
}

/// A derivative job's progress, with signed URLs of the finished items.
pub async fn get_job(
    deps: &Deps,
    caller: &Caller,
    event_id: EventId,
    job_id: JobId,
) -> Result<JobView> {
    owned_event(deps, &caller.user_id, event_id).await?;
    let job = deps.catalog.get_job(event_id, job_id).await?;
    if job.kind != JobKind::Derivatives {
        return Err(Error::not_found("job_not_found", "no such derivative job"));
    }
    let presign = Presign::now(deps.limits.view_url_secs);
    let items = job
        .items
        .into_iter()
        .map(|item| {
            let url = match &item.key {
                Some(key) => Some(deps.blobs.presign_get(key, None, presign)?.url),
                None => None,
            };
            Ok(JobItemView {
                photo_id: item.photo_id,
                url,
                error: item.error,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(JobView {
        job_id: job.job_id,
        state: job.state,
        done: job.done,
        failed: job.failed,
        total: job.total,
        items,
    })
}
