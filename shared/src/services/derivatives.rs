//! Custom derivatives, the request side: the spec is validated here, ownership and
//! readiness checked, and an async job recorded and queued. Rendering is the pipeline's.

use serde::{Deserialize, Serialize};
use tracing::info;

use crate::domain::{
    EventId, Gravity, Job, JobId, JobItem, JobKind, JobState, PhotoId, PhotoStatus, Timestamp, keys,
};
use crate::error::{Error, Result};
use crate::http::Caller;
use crate::ports::Presign;

use super::{Deps, at_index, owned_event};

/// Largest side a custom derivative may ask for (API.md limits).
pub const MAX_SIDE: u32 = 20_000;
/// Most photos in one async job.
pub const MAX_JOB_PHOTOS: usize = 500;

/// What to make of a photo (API.md `spec`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DerivativeSpec {
    /// Crop first (a rectangle of the upright image, or an aspect ratio).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crop: Option<Crop>,
    /// Then resize.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resize: Option<Resize>,
    /// Output format (default `jpeg`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<OutputFormat>,
    /// Encoder quality 1–100 (JPEG, WebP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<u8>,
    /// Apply the event's watermark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermark: Option<bool>,
}

/// A crop: a pixel rectangle, or the largest region of an aspect ratio at a gravity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Crop {
    /// `{x, y, width, height}` in upright pixels.
    Rect {
        /// Left edge.
        x: u32,
        /// Top edge.
        y: u32,
        /// Width.
        width: u32,
        /// Height.
        height: u32,
    },
    /// `{aspect: "4:5", gravity}`.
    Aspect {
        /// `W:H`, both 1–100.
        aspect: String,
        /// Where to keep the region (default centre).
        #[serde(default)]
        gravity: Gravity,
    },
}

/// How to fit a resize box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    /// Fill the box, cropping the overflow.
    Cover,
    /// Fit inside the box, padding the rest.
    Contain,
    /// Fit inside the box, never enlarging.
    Inside,
    /// Stretch to the box.
    Fill,
}

/// A resize box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resize {
    /// Target width.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Target height.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Fit mode.
    pub fit: Fit,
}

/// Output formats of custom derivatives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    /// JPEG.
    Jpeg,
    /// WebP.
    Webp,
    /// PNG.
    Png,
}

impl OutputFormat {
    /// File extension and variant suffix.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Webp => "webp",
            Self::Png => "png",
        }
    }
}

impl DerivativeSpec {
    /// Checks the numbers a decoder cannot check for us; 422 `invalid_spec` naming the field.
    pub fn check(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::invalid("invalid_spec", m.to_owned()));
        match &self.crop {
            Some(Crop::Rect { width, height, .. })
                if *width == 0 || *height == 0 || *width > MAX_SIDE || *height > MAX_SIDE =>
            {
                return bad("spec.crop width and height must be 1 to 20000");
            }
            Some(Crop::Aspect { aspect, .. }) if parse_aspect(aspect).is_none() => {
                return bad("spec.crop.aspect must be W:H with W and H from 1 to 100");
            }
            _ => {}
        }
        if let Some(resize) = &self.resize {
            if resize.width.is_none() && resize.height.is_none() {
                return bad("spec.resize needs a width or a height");
            }
            let side_ok = |s: Option<u32>| s.is_none_or(|v| (1..=MAX_SIDE).contains(&v));
            if !side_ok(resize.width) || !side_ok(resize.height) {
                return bad("spec.resize width and height must be 1 to 20000");
            }
        }
        if let Some(q) = self.quality
            && !(1..=100).contains(&q)
        {
            return bad("spec.quality must be 1 to 100");
        }
        Ok(())
    }
}

/// `W:H` with both 1–100.
pub fn parse_aspect(text: &str) -> Option<(u32, u32)> {
    let (w, h) = text.split_once(':')?;
    let (w, h) = (w.trim().parse::<u32>().ok()?, h.trim().parse::<u32>().ok()?);
    ((1..=100).contains(&w) && (1..=100).contains(&h)).then_some((w, h))
}

/// `POST …/photos/{photo_id}/derivatives` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeriveOne {
    /// What to make.
    pub spec: DerivativeSpec,
}

/// `POST …/derivatives` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeriveMany {
    /// 1–500 ready photos of the event.
    pub photo_ids: Vec<PhotoId>,
    /// What to make of each.
    pub spec: DerivativeSpec,
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

/// What the derivative worker receives on its queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeriveJobMessage {
    /// Always `derivatives`.
    pub kind: JobKind,
    /// The event.
    pub event_id: EventId,
    /// The job row to work through.
    pub job_id: JobId,
}

/// Checks that the caller may derive from `photo_id` and that it is ready (422
/// `photo_not_ready` otherwise: there is nothing to derive from yet).
async fn ready_photo(deps: &Deps, event_id: EventId, photo_id: PhotoId) -> Result<()> {
    let photo = deps.catalog.get_photo(event_id, photo_id).await?;
    if photo.status != PhotoStatus::Ready {
        return Err(Error::invalid(
            "photo_not_ready",
            format!("photo {photo_id} is {}, not ready", photo.status.as_str()),
        ));
    }
    Ok(())
}

fn check_spec_against_event(spec: &DerivativeSpec, has_watermark: bool) -> Result<()> {
    spec.check()?;
    if spec.watermark == Some(true) && !has_watermark {
        return Err(Error::invalid(
            "no_watermark",
            "spec.watermark needs the event to have a watermark (PATCH the event first)",
        ));
    }
    Ok(())
}

/// The request side of the synchronous route: everything checked. Rendering needs the
/// image pipeline, which this build does not include, so a valid request is answered 503
/// `derivatives_unavailable` after all checks have passed.
pub async fn derive_one(
    deps: &Deps,
    caller: &Caller,
    event_id: EventId,
    photo_id: PhotoId,
    req: DeriveOne,
) -> Result<JobItemView> {
    let event = owned_event(deps, &caller.user_id, event_id).await?;
    check_spec_against_event(&req.spec, event.watermark.is_some())?;
    ready_photo(deps, event_id, photo_id).await?;
    Err(Error::Transient {
        message: "synchronous custom derivatives are not available in this build".to_owned(),
        source: None,
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
    check_spec_against_event(&req.spec, event.watermark.is_some())?;
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
        ready_photo(deps, event_id, *id).await.map_err(|e| {
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
    let total = u32::try_from(ids.len()).map_err(|e| Error::internal("job size", e))?;
    let job = Job {
        event_id,
        job_id: JobId::generate(),
        kind: JobKind::Derivatives,
        state: JobState::Queued,
        total,
        done: 0,
        failed: 0,
        items: ids
            .iter()
            .map(|&photo_id| JobItem {
                photo_id,
                key: None,
                error: None,
            })
            .collect(),
        request: serde_json::json!({ "spec": req.spec, "photo_ids": ids }),
        result_key: None,
        created_at: Timestamp::now(),
        expires_at: event.expires_at,
        version: 0,
    };
    deps.catalog.insert_job(&job).await?;
    let message = DeriveJobMessage {
        kind: JobKind::Derivatives,
        event_id,
        job_id: job.job_id,
    };
    let body = serde_json::to_string(&message).map_err(|e| Error::internal("job message", e))?;
    deps.derive_queue.send(&body).await?;
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

/// Where a custom derivative of `photo_id` made by job `job_id` is stored.
pub fn custom_key(
    owner: &crate::domain::UserId,
    event_id: EventId,
    photo_id: PhotoId,
    job_id: JobId,
    format: OutputFormat,
) -> String {
    keys::derived(
        owner,
        event_id,
        photo_id,
        &format!("custom-{job_id}.{}", format.extension()),
    )
}
