//! Upload tickets: presigned single PUTs and multipart uploads, registered as `pending`
//! photos, with the per-file, per-call and per-event limits and SHA-256 de-duplication.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use tracing::info;

use crate::domain::{
    Caller, EventId, Photo, PhotoId, PhotoStatus, Timestamp, UploadKind, keys, validate,
};
use crate::error::{Error, Result};
use crate::ports::{Presign, PresignedRequest, PutConstraints};

use super::{Deps, at_index, owned_event};

mod multipart;

pub use multipart::{
    CompleteUpload, Completed, CompletedPartSpec, PartUrl, PartUrls, SignParts, StoredPart,
    StoredParts, abort, complete, list_parts, sign_parts,
};

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
    let mut existing: HashMap<String, Photo> = HashMap::new();
    for photo in deps
        .catalog
        .find_photos_by_sha256(event_id, &digests)
        .await?
    {
        match existing.get(&photo.sha256) {
            Some(kept) if standing(kept) >= standing(&photo) => {}
            _ => {
                existing.insert(photo.sha256.clone(), photo);
            }
        }
    }

    let now = Timestamp::now();
    let mut in_call: HashMap<&str, PhotoId> = HashMap::new();
    let mut tickets: Vec<Option<Ticket>> = Vec::with_capacity(checked.len());
    let mut new_photos: Vec<(usize, Photo, [u8; 32])> = Vec::new();
    let mut reissued: Vec<(usize, Photo, [u8; 32])> = Vec::new();
    let mut replaced: Vec<(usize, Photo, [u8; 32])> = Vec::new();
    for (i, file) in checked.iter().enumerate() {
        let digest = file.spec.sha256.as_str();
        if let Some(&photo_id) = in_call.get(digest) {
            tickets.push(Some(Ticket::Duplicate { photo_id }));
            continue;
        }
        match existing.remove(digest) {
            // Its bytes arrived: nothing to send.
            Some(photo) if matches!(photo.status, PhotoStatus::Processing | PhotoStatus::Ready) => {
                in_call.insert(digest, photo.photo_id);
                tickets.push(Some(Ticket::Duplicate {
                    photo_id: photo.photo_id,
                }));
                continue;
            }
            // Registered and not yet processed: a duplicate if its bytes are in storage,
            // else (a lapsed ticket, a closed tab) the same photo gets a fresh ticket, so
            // the bytes can still be stored.
            Some(photo) if photo.status == PhotoStatus::Pending => {
                in_call.insert(digest, photo.photo_id);
                if bytes_arrived(deps, &photo).await? {
                    tickets.push(Some(Ticket::Duplicate {
                        photo_id: photo.photo_id,
                    }));
                    continue;
                }
                reissued.push((i, photo, file.sha256));
            }
            // Failed (a checksum mismatch, a file that was not an image…): these bytes
            // replace it, in the same photo, which keeps its place in the event's count.
            Some(mut photo) => {
                in_call.insert(digest, photo.photo_id);
                photo.filename = file.name.clone();
                photo.content_type = file.spec.content_type.clone();
                photo.upload = upload_kind(limits, file.spec.bytes);
                photo.status = PhotoStatus::Pending;
                photo.failure = None;
                photo.metadata = None;
                photo.processing_until = None;
                photo.attempts = 0;
                replaced.push((i, photo, file.sha256));
            }
            None => {
                let photo_id = PhotoId::generate();
                in_call.insert(digest, photo_id);
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
                        upload: upload_kind(limits, file.spec.bytes),
                        created_at: now,
                        processing_until: None,
                        attempts: 0,
                        expires_at: event.expires_at,
                        version: 0,
                    },
                    file.sha256,
                ));
            }
        }
        tickets.push(None);
    }

    for (_, photo, _) in &mut replaced {
        *photo = replace_failed(deps, photo.clone()).await?;
    }
    if !new_photos.is_empty() {
        register(deps, event_id, &mut new_photos).await?;
    }

    let presign = Presign::now(limits.upload_url_secs);
    for (i, photo, sha256) in new_photos.iter().chain(&reissued).chain(&replaced) {
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
    info!(
        %event_id,
        files = checked.len(),
        registered = new_photos.len(),
        reissued = reissued.len(),
        replaced = replaced.len(),
        "upload tickets issued"
    );
    Ok(UploadTickets { tickets })
}

/// How far an existing photo's upload got: which of several rows with the same bytes a new
/// upload of them is measured against.
fn standing(photo: &Photo) -> u8 {
    match photo.status {
        PhotoStatus::Ready | PhotoStatus::Processing => 2,
        PhotoStatus::Pending => 1,
        PhotoStatus::Failed => 0,
    }
}

/// Whether a pending photo's original is in storage, whole (uploaded, not yet processed).
async fn bytes_arrived(deps: &Deps, photo: &Photo) -> Result<bool> {
    let key = keys::original(&photo.owner_id, photo.event_id, photo.photo_id);
    match deps.blobs.head(&key).await {
        Ok(info) => Ok(info.bytes == photo.bytes),
        Err(e) if e.is_not_found() => Ok(false),
        Err(e) => Err(e),
    }
}

/// Single PUT up to the single-PUT limit, multipart above; a multipart upload id is filled
/// in once storage has made it.
fn upload_kind(limits: &super::ApiLimits, bytes: u64) -> UploadKind {
    if bytes <= limits.single_put_max_bytes {
        UploadKind::Single
    } else {
        UploadKind::Multipart {
            upload_id: String::new(),
            part_bytes: limits.part_bytes,
        }
    }
}

/// Stores the reset row of a failed photo that new bytes replace, starting its multipart
/// upload first if it needs one. A photo changed meanwhile (processed, retried, deleted) is
/// a `Conflict`: the call can simply be repeated.
async fn replace_failed(deps: &Deps, mut photo: Photo) -> Result<Photo> {
    if let UploadKind::Multipart { upload_id, .. } = &mut photo.upload {
        let key = keys::original(&photo.owner_id, photo.event_id, photo.photo_id);
        *upload_id = deps
            .blobs
            .create_multipart(&key, &photo.content_type)
            .await?;
    }
    match deps.catalog.update_photo(&photo).await {
        Ok(stored) => Ok(stored),
        Err(e) if e.is_conflict() || e.is_not_found() => Err(Error::conflict(
            "photo_changed",
            "a photo with these bytes changed while the call ran; repeat the call",
        )),
        Err(e) => Err(e),
    }
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
