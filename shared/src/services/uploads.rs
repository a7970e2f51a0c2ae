//! Upload tickets: presigned single PUTs and multipart uploads, registered as `pending`
//! photos, with the per-file, per-call and per-event limits and SHA-256 de-duplication.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use tracing::info;

use crate::domain::{EventId, Photo, PhotoId, PhotoStatus, Timestamp, UploadKind, keys, validate};
use crate::error::{Error, Result};
use crate::http::Caller;
use crate::ports::{CompletedPart, Presign, PresignedRequest, PutConstraints};

use super::{Deps, at_index, owned_event};

/// Most parts S3 allows in one upload.
const MAX_PARTS: u64 = 10_000;

/// One file the photographer is about to upload.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    /// Its name on the photographer's device (kept for downloads, never a path).
    pub name: String,
    /// Declared media type.
    pub content_type: String,
    /// Exact size in bytes.
    pub bytes: u64,
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
}

/// `POST /api/events/{event_id}/uploads` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadRequest {
    /// 1 to 500 files.
    pub files: Vec<FileSpec>,
}

/// How to upload one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ticket {
    /// One presigned PUT; send exactly these headers and the declared bytes.
    Single {
        /// The photo registered for it.
        photo_id: PhotoId,
        /// `PUT`.
        method: String,
        /// Presigned URL.
        url: String,
        /// Headers to send exactly (type, length, checksum).
        headers: BTreeMap<String, String>,
        /// When storage starts refusing the URL.
        expires_at: Timestamp,
    },
    /// A multipart upload; ask for part URLs with `POST …/uploads/{photo_id}/parts`.
    Multipart {
        /// The photo registered for it.
        photo_id: PhotoId,
        /// Storage's upload id.
        upload_id: String,
        /// Bytes per part (the last part may be smaller).
        part_bytes: u64,
        /// Number of parts.
        part_count: u64,
    },
    /// The same content is already in the event (or earlier in this call): nothing to send.
    Duplicate {
        /// The photo that holds it.
        photo_id: PhotoId,
    },
}

/// Tickets in request order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UploadTickets {
    /// One per requested file.
    pub tickets: Vec<Ticket>,
}

/// A file that passed validation.
struct Checked<'a> {
    spec: &'a FileSpec,
    name: String,
    sha256: [u8; 32],
}

/// Registers the files as `pending` photos and returns their tickets.
///
/// Atomic: any invalid file fails the whole call with an error naming its index
/// (`files[3]: …`) and nothing is registered. Limits: 1–500 files (413 above), declared
/// type in the allowlist (415), size up to the multipart maximum (413), the event's photo
/// limit (413 `event_photo_limit`).
pub async fn create(
    deps: &Deps,
    caller: &Caller,
    event_id: EventId,
    req: UploadRequest,
) -> Result<UploadTickets> {
    let limits = &deps.limits;
    if req.files.is_empty() {
        return Err(Error::invalid(
            "no_files",
            "files must name at least one file",
        ));
    }
    if req.files.len() > limits.max_files_per_call {
        return Err(Error::too_large(
            "too_many_files",
            format!("at most {} files per call", limits.max_files_per_call),
        ));
    }
    let checked = req
        .files
        .iter()
        .enumerate()
        .map(|(i, spec)| check_file(deps, spec).map_err(|e| at_index("files", i, e)))
        .collect::<Result<Vec<_>>>()?;
    let event = owned_event(deps, &caller.user_id, event_id).await?;

    // De-duplicate against the event and within the call.
    let mut digests: Vec<String> = checked.iter().map(|c| c.spec.sha256.clone()).collect();
    digests.sort_unstable();
    digests.dedup();
    let mut known: HashMap<String, PhotoId> = deps
        .catalog
        .find_photos_by_sha256(event_id, &digests)
        .await?
        .into_iter()
        .map(|p| (p.sha256, p.photo_id))
        .collect();

    let now = Timestamp::now();
    let mut tickets: Vec<Option<Ticket>> = Vec::with_capacity(checked.len());
    let mut new_photos: Vec<(usize, Photo, [u8; 32])> = Vec::new();
    for (i, file) in checked.iter().enumerate() {
        if let Some(&photo_id) = known.get(&file.spec.sha256) {
            tickets.push(Some(Ticket::Duplicate { photo_id }));
            continue;
        }
        let photo_id = PhotoId::generate();
        known.insert(file.spec.sha256.clone(), photo_id);
        let upload = if file.spec.bytes <= limits.single_put_max_bytes {
            UploadKind::Single
        } else {
            // The upload id is filled in below, once storage has made it.
            UploadKind::Multipart {
                upload_id: String::new(),
                part_bytes: limits.part_bytes,
            }
        };
        new_photos.push((
            i,
            Photo {
                event_id,
                photo_id,
                owner_id: event.owner_id.clone(),
                filename: file.name.clone(),
                content_type: file.spec.content_type.clone(),
                bytes: file.spec.bytes,
                sha256: file.spec.sha256.clone(),
                status: PhotoStatus::Pending,
                failure: None,
                metadata: None,
                upload,
                created_at: now,
                processing_until: None,
                attempts: 0,
                expires_at: event.expires_at,
                version: 0,
            },
            file.sha256,
        ));
        tickets.push(None);
    }

    if !new_photos.is_empty() {
        register(deps, event_id, &mut new_photos).await?;
    }

    let presign = Presign::now(limits.upload_url_secs);
    for (i, photo, sha256) in &new_photos {
        let key = keys::original(&photo.owner_id, photo.event_id, photo.photo_id);
        let ticket = match &photo.upload {
            UploadKind::Single => {
                let constraints = PutConstraints {
                    content_type: photo.content_type.clone(),
                    content_length: photo.bytes,
                    sha256: *sha256,
                };
                let signed = deps.blobs.presign_put(&key, &constraints, presign)?;
                single_ticket(photo.photo_id, signed)
            }
            UploadKind::Multipart {
                upload_id,
                part_bytes,
            } => Ticket::Multipart {
                photo_id: photo.photo_id,
                upload_id: upload_id.clone(),
                part_bytes: *part_bytes,
                part_count: photo.bytes.div_ceil(*part_bytes),
            },
        };
        if let Some(slot) = tickets.get_mut(*i) {
            *slot = Some(ticket);
        }
    }
    let tickets: Vec<Ticket> = tickets.into_iter().flatten().collect();
    info!(%event_id, files = checked.len(), registered = new_photos.len(), "upload tickets issued");
    Ok(UploadTickets { tickets })
}

fn check_file<'a>(deps: &Deps, spec: &'a FileSpec) -> Result<Checked<'a>> {
    let limits = &deps.limits;
    let name = validate::file_name(&spec.name)?;
    if !limits.allowed_types.contains(&spec.content_type) {
        return Err(Error::unsupported(
            "unsupported_type",
            format!(
                "content_type '{}' is not accepted (allowed: {})",
                spec.content_type.chars().take(100).collect::<String>(),
                limits.allowed_types.join(", ")
            ),
        ));
    }
    if spec.bytes == 0 {
        return Err(Error::invalid("empty_file", "bytes must be at least 1"));
    }
    if spec.bytes > limits.multipart_max_bytes {
        return Err(Error::too_large(
            "file_too_large",
            format!("files are limited to {} bytes", limits.multipart_max_bytes),
        ));
    }
    if spec.bytes > limits.single_put_max_bytes
        && spec.bytes.div_ceil(limits.part_bytes) > MAX_PARTS
    {
        return Err(Error::too_large(
            "file_too_large",
            "too many parts for this file",
        ));
    }
    let sha256 = validate::sha256_hex(&spec.sha256)?;
    Ok(Checked { spec, name, sha256 })
}

/// Counts the photos against the event's limit, starts the multipart uploads, and inserts
/// the rows; on any failure undoes what it did, so the call stays atomic.
async fn register(
    deps: &Deps,
    event_id: EventId,
    photos: &mut [(usize, Photo, [u8; 32])],
) -> Result<()> {
    let n = i64::try_from(photos.len()).map_err(|e| Error::internal("photo count overflow", e))?;
    deps.catalog
        .add_photo_count(event_id, n, deps.limits.max_photos_per_event)
        .await?;
    let result = async {
        let starts = photos.iter_mut().filter_map(|(_, photo, _)| {
            let key = keys::original(&photo.owner_id, photo.event_id, photo.photo_id);
            match &mut photo.upload {
                UploadKind::Multipart { upload_id, .. } => {
                    let content_type = photo.content_type.clone();
                    Some(async move {
                        *upload_id = deps.blobs.create_multipart(&key, &content_type).await?;
                        Ok::<_, Error>(())
                    })
                }
                UploadKind::Single => None,
            }
        });
        let started = futures::future::join_all(starts).await;
        started.into_iter().collect::<Result<Vec<()>>>()?;
        let rows: Vec<Photo> = photos.iter().map(|(_, p, _)| p.clone()).collect();
        deps.catalog.insert_photos(&rows).await
    }
    .await;
    if let Err(err) = result {
        undo_registration(deps, event_id, n, photos).await;
        return Err(err);
    }
    Ok(())
}

async fn undo_registration(
    deps: &Deps,
    event_id: EventId,
    n: i64,
    photos: &[(usize, Photo, [u8; 32])],
) {
    if let Err(e) = deps
        .catalog
        .add_photo_count(event_id, -n, deps.limits.max_photos_per_event)
        .await
    {
        tracing::warn!(%event_id, error = %e, "could not give back the photo count");
    }
    for (_, photo, _) in photos {
        if let UploadKind::Multipart { upload_id, .. } = &photo.upload
            && !upload_id.is_empty()
        {
            let key = keys::original(&photo.owner_id, photo.event_id, photo.photo_id);
            if let Err(e) = deps.blobs.abort_multipart(&key, upload_id).await {
                tracing::warn!(%event_id, error = %e, "could not abort a multipart upload");
            }
        }
    }
}

fn single_ticket(photo_id: PhotoId, signed: PresignedRequest) -> Ticket {
    Ticket::Single {
        photo_id,
        method: signed.method,
        url: signed.url,
        headers: signed.headers.into_iter().collect(),
        expires_at: signed.expires_at,
    }
}

// --- multipart ----------------------------------------------------------------------------

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

/// Presigned PUT URLs for parts of a pending multipart upload.
pub async fn sign_parts(
    deps: &Deps,
    caller: &Caller,
    event_id: EventId,
    photo_id: PhotoId,
    req: SignParts,
) -> Result<PartUrls> {
    let (_, key, upload_id, count) = pending_multipart(deps, caller, event_id, photo_id).await?;
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
        let signed = deps.blobs.presign_part(&key, &upload_id, n, presign)?;
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
