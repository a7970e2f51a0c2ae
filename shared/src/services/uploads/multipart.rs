//! The multipart steps of an upload: part URLs (each binding its part's exact length), the
//! parts stored so far (to resume), completion and abort.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tracing::info;

use crate::domain::{Caller, EventId, Photo, PhotoId, PhotoStatus, Timestamp, UploadKind, keys};
use crate::error::{Error, Result};
use crate::ports::{CompletedPart, Presign};

use super::super::{Deps, at_index, owned_event};

/// `POST …/uploads/{photo_id}/parts` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignParts {
    /// 1-based part numbers to sign (at most 1,000 per call).
    pub part_numbers: Vec<u32>,
}

/// One presigned part URL.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartUrl {
    /// 1-based part number.
    pub part_number: u32,
    /// Presigned URL.
    pub url: String,
    /// Headers to send exactly.
    pub headers: BTreeMap<String, String>,
    /// When storage starts refusing it.
    pub expires_at: Timestamp,
}

/// Presigned part URLs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartUrls {
    /// In the order asked.
    pub parts: Vec<PartUrl>,
}

/// A part already stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredPart {
    /// 1-based part number.
    pub part_number: u32,
    /// Its ETag, when storage reports one.
    pub etag: Option<String>,
    /// Its size.
    pub bytes: u64,
}

/// Parts stored so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredParts {
    /// By part number.
    pub parts: Vec<StoredPart>,
}

/// `POST …/uploads/{photo_id}/complete` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompleteUpload {
    /// Every part, ascending.
    pub parts: Vec<CompletedPartSpec>,
}

/// A part named in a completion.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompletedPartSpec {
    /// 1-based part number.
    pub part_number: u32,
    /// The `ETag` storage answered the part's PUT with.
    pub etag: String,
}

/// The photo after a completed upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Completed {
    /// The photo.
    pub photo_id: PhotoId,
    /// `pending` until the processor takes it.
    pub status: PhotoStatus,
}

/// The caller's pending multipart photo: (key, upload id, part count).
async fn pending_multipart(
    deps: &Deps,
    caller: &Caller,
    event_id: EventId,
    photo_id: PhotoId,
) -> Result<(Photo, String, String, u64)> {
    owned_event(deps, &caller.user_id, event_id).await?;
    let photo = deps.catalog.get_photo(event_id, photo_id).await?;
    let UploadKind::Multipart {
        upload_id,
        part_bytes,
    } = photo.upload.clone()
    else {
        return Err(Error::conflict(
            "not_multipart",
            "this photo is uploaded with a single PUT",
        ));
    };
    if photo.status != PhotoStatus::Pending {
        return Err(Error::conflict(
            "upload_finished",
            "this photo's upload is already complete",
        ));
    }
    let key = keys::original(&photo.owner_id, photo.event_id, photo.photo_id);
    let count = photo.bytes.div_ceil(part_bytes.max(1));
    Ok((photo, key, upload_id, count))
}

fn check_part_number(n: u32, count: u64) -> Result<()> {
    if n == 0 || u64::from(n) > count {
        return Err(Error::invalid(
            "invalid_part_number",
            format!("part numbers of this upload are 1 to {count}"),
        ));
    }
    Ok(())
}

/// The exact size of part `n` (1-based) of a multipart photo: every part has the upload's
/// part size but the last, which has the rest.
fn part_length(photo: &Photo, n: u32) -> Result<u64> {
    let UploadKind::Multipart { part_bytes, .. } = &photo.upload else {
        return Err(Error::internal_msg("part length of a single-PUT photo"));
    };
    let before = u64::from(n.saturating_sub(1)).saturating_mul(*part_bytes);
    Ok(photo.bytes.saturating_sub(before).min(*part_bytes))
}

/// Presigned PUT URLs for parts of a pending multipart upload.
pub async fn sign_parts(
    deps: &Deps,
    caller: &Caller,
    event_id: EventId,
    photo_id: PhotoId,
    req: SignParts,
) -> Result<PartUrls> {
    let (photo, key, upload_id, count) =
        pending_multipart(deps, caller, event_id, photo_id).await?;
    if req.part_numbers.is_empty() || req.part_numbers.len() > 1_000 {
        return Err(Error::invalid(
            "invalid_part_numbers",
            "part_numbers must list 1 to 1000 parts",
        ));
    }
    let presign = Presign::now(deps.limits.upload_url_secs);
    let mut parts = Vec::with_capacity(req.part_numbers.len());
    for (i, &n) in req.part_numbers.iter().enumerate() {
        check_part_number(n, count).map_err(|e| at_index("part_numbers", i, e))?;
        let length = part_length(&photo, n)?;
        let signed = deps
            .blobs
            .presign_part(&key, &upload_id, n, length, presign)?;
        parts.push(PartUrl {
            part_number: n,
            url: signed.url,
            headers: signed.headers.into_iter().collect(),
            expires_at: signed.expires_at,
        });
    }
    Ok(PartUrls { parts })
}

/// The parts storage holds so far (to resume an interrupted upload).
pub async fn list_parts(
    deps: &Deps,
    caller: &Caller,
    event_id: EventId,
    photo_id: PhotoId,
) -> Result<StoredParts> {
    let (_, key, upload_id, _) = pending_multipart(deps, caller, event_id, photo_id).await?;
    let mut parts: Vec<StoredPart> = deps
        .blobs
        .list_parts(&key, &upload_id)
        .await?
        .into_iter()
        .map(|p| StoredPart {
            part_number: p.part_number,
            etag: p.etag,
            bytes: p.bytes,
        })
        .collect();
    parts.sort_by_key(|p| p.part_number);
    Ok(StoredParts { parts })
}

/// Assembles the parts. The assembled object must have the declared size, else it is
/// deleted and the call is a 422 (`size_mismatch`); the processor checks the SHA-256.
pub async fn complete(
    deps: &Deps,
    caller: &Caller,
    event_id: EventId,
    photo_id: PhotoId,
    req: CompleteUpload,
) -> Result<Completed> {
    let (photo, key, upload_id, count) =
        pending_multipart(deps, caller, event_id, photo_id).await?;
    if u64::try_from(req.parts.len()).ok() != Some(count) {
        return Err(Error::invalid(
            "invalid_parts",
            format!("parts must list all {count} parts"),
        ));
    }
    let mut parts = Vec::with_capacity(req.parts.len());
    for (i, part) in req.parts.iter().enumerate() {
        let expected = u32::try_from(i + 1).map_err(|e| Error::internal("part overflow", e))?;
        if part.part_number != expected || part.etag.is_empty() || part.etag.len() > 256 {
            return Err(at_index(
                "parts",
                i,
                Error::invalid(
                    "invalid_parts",
                    "parts must be numbered 1..N in order, each with its ETag",
                ),
            ));
        }
        parts.push(CompletedPart {
            part_number: part.part_number,
            etag: part.etag.clone(),
        });
    }
    deps.blobs
        .complete_multipart(&key, &upload_id, &parts)
        .await?;
    let stored = deps.blobs.head(&key).await?;
    if stored.bytes != photo.bytes {
        deps.blobs.delete(&key).await?;
        return Err(Error::invalid(
            "size_mismatch",
            format!(
                "the parts add up to {} bytes, but {} were declared",
                stored.bytes, photo.bytes
            ),
        ));
    }
    info!(%event_id, %photo_id, bytes = stored.bytes, "multipart upload completed");
    Ok(Completed {
        photo_id,
        status: photo.status,
    })
}

/// Abandons a pending multipart upload: its parts and its photo row go.
pub async fn abort(
    deps: &Deps,
    caller: &Caller,
    event_id: EventId,
    photo_id: PhotoId,
) -> Result<()> {
    let (_, key, upload_id, _) = pending_multipart(deps, caller, event_id, photo_id).await?;
    deps.blobs.abort_multipart(&key, &upload_id).await?;
    // Gives the counter back too, once even if a delete of the photo races this.
    deps.catalog.delete_photo(event_id, photo_id).await?;
    info!(%event_id, %photo_id, "multipart upload aborted");
    Ok(())
}
