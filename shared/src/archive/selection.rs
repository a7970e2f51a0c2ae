//! What a viewer asked to download, how the job row records it, and how it becomes the
//! list of photos that go into the zip.
//!
//! An explicit selection can name up to 20,000 photos, more than a job row may hold
//! (DynamoDB items are capped at 400 KB), so its ids are kept in an object beside the
//! archive (`archives/{event}/{archive}.selection.json`) and the row keeps their count.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::{
    AccessCode, EventId, JobId, PageRequest, Photo, PhotoId, PhotoStatus, Timestamp, keys,
};
use crate::error::{Error, Result};
use crate::ports::{Blobs, Catalog, MAX_GET_PHOTOS, PhotoQuery, PhotoSort};

/// The photos a viewer asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveSelection {
    /// Everything the code grants (ready photos, at the time the archive is built).
    All,
    /// These photos (each must be granted).
    Photos(Vec<PhotoId>),
}

impl ArchiveSelection {
    /// Sorted, without duplicates, within `max_entries`, and granted by `code`: `Invalid`
    /// for an empty list, `TooLarge` past the limit, `NotFound` for a photo the code does not
    /// grant (a viewer must not learn which ids exist).
    pub fn normalised(self, code: &AccessCode, max_entries: u32) -> Result<Self> {
        let Self::Photos(mut ids) = self else {
            return Ok(Self::All);
        };
        if ids.is_empty() {
            return Err(Error::invalid(
                "empty_selection",
                "select at least one photo",
            ));
        }
        if ids.len() > max_entries as usize {
            return Err(Error::too_large(
                "selection_too_large",
                format!("an archive holds at most {max_entries} photos"),
            ));
        }
        ids.sort_unstable();
        ids.dedup();
        if !ids.iter().all(|id| code.grant.covers(*id)) {
            return Err(Error::not_found("photo_not_found", "no such photo"));
        }
        Ok(Self::Photos(ids))
    }
}

/// What the job row's `request` holds for an archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveRequest {
    /// The access code (its lookup key) the archive belongs to.
    pub code_key: String,
    /// `None` for everything granted; else how many photo ids the selection object holds.
    pub photo_count: Option<u32>,
    /// 0 for the first archive of this request, n + 1 after attempt n failed or expired.
    pub attempt: u32,
}

/// The archive id of `attempt` of a request: the first 128 bits of a SHA-256 over the
/// event, the code and the sorted selection, so the same request names the same archive.
pub fn archive_id(
    event: EventId,
    code_key: &str,
    selection: &ArchiveSelection,
    attempt: u32,
) -> JobId {
    let mut hash = Sha256::new();
    hash.update(b"picpass archive v1\0");
    hash.update(event.to_string().as_bytes());
    hash.update(b"\0");
    hash.update(code_key.as_bytes());
    hash.update(b"\0");
    match selection {
        ArchiveSelection::All => hash.update(b"all"),
        ArchiveSelection::Photos(ids) => {
            for id in ids {
                hash.update(id.to_string().as_bytes());
                hash.update(b",");
            }
        }
    }
    hash.update(b"\0");
    hash.update(attempt.to_be_bytes());
    let digest = hash.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    JobId::from_u128(u128::from_be_bytes(first))
}

/// Stores the ids of an explicit selection beside the archive.
pub async fn store_selection(
    blobs: &dyn Blobs,
    event: EventId,
    archive: JobId,
    ids: &[PhotoId],
) -> Result<()> {
    let body = serde_json::to_vec(ids).map_err(|e| Error::internal("selection object", e))?;
    blobs
        .put(
            &keys::archive_selection(event, archive),
            body.into(),
            "application/json",
        )
        .await
}

/// The ids of an explicit selection. A missing object is `Transient`: the request writes it
/// just after the job row, so a worker can get there first.
async fn load_selection(
    blobs: &dyn Blobs,
    event: EventId,
    archive: JobId,
    count: u32,
) -> Result<Vec<PhotoId>> {
    let body = match blobs.get(&keys::archive_selection(event, archive)).await {
        Ok(body) => body,
        Err(e) if e.is_not_found() => {
            return Err(Error::Transient {
                message: "the archive's selection is not stored yet".to_owned(),
                source: None,
            });
        }
        Err(e) => return Err(e),
    };
    let ids: Vec<PhotoId> = serde_json::from_slice(&body)
        .map_err(|e| Error::internal("corrupt selection object", e))?;
    if ids.len() != count as usize {
        return Err(Error::internal_msg(
            "the selection object does not match its job",
        ));
    }
    Ok(ids)
}

/// The ready photos the archive holds, by photo id: the selection, intersected with what
/// the code grants now. `Expired` if the code has been revoked or has expired since.
pub async fn resolve(
    catalog: &dyn Catalog,
    blobs: &dyn Blobs,
    event: EventId,
    archive: JobId,
    request: &ArchiveRequest,
    now: Timestamp,
) -> Result<Vec<Photo>> {
    let code = match catalog.get_code(event, &request.code_key).await {
        Ok(code) => code,
        Err(e) if e.is_not_found() => return Err(code_gone()),
        Err(e) => return Err(e),
    };
    if code.revoked_at.is_some() || code.valid_until.is_some_and(|t| t.has_passed(now)) {
        return Err(code_gone());
    }
    let mut photos = match request.photo_count {
        None => ready_photos(catalog, event).await?,
        Some(count) => {
            let ids = load_selection(blobs, event, archive, count).await?;
            get_photos(catalog, event, &ids).await?
        }
    };
    photos.retain(|p| p.status == PhotoStatus::Ready && code.grant.covers(p.photo_id));
    photos.sort_unstable_by_key(|p| p.photo_id);
    Ok(photos)
}

fn code_gone() -> Error {
    Error::expired("code_revoked", "the access code was revoked or has expired")
}

/// Every ready photo of the event, a page at a time.
async fn ready_photos(catalog: &dyn Catalog, event: EventId) -> Result<Vec<Photo>> {
    let query = PhotoQuery {
        status: Some(PhotoStatus::Ready),
        sort: PhotoSort::Uploaded,
    };
    let mut photos = Vec::new();
    let mut page = PageRequest::first(crate::domain::cursor::MAX_PAGE_LIMIT);
    loop {
        let listed = catalog.list_photos(event, &query, &page).await?;
        photos.extend(listed.items);
        match listed.next {
            Some(cursor) => {
                page = PageRequest::after(crate::domain::cursor::MAX_PAGE_LIMIT, cursor)
            }
            None => return Ok(photos),
        }
    }
}

/// The photos with these ids that still exist, in batched reads.
async fn get_photos(catalog: &dyn Catalog, event: EventId, ids: &[PhotoId]) -> Result<Vec<Photo>> {
    let mut photos = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_GET_PHOTOS) {
        photos.extend(catalog.get_photos(event, chunk).await?);
    }
    Ok(photos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_request_names_the_same_archive_and_any_change_another() {
        let event = EventId::generate();
        let (a, b) = (PhotoId::generate(), PhotoId::generate());
        let photos = ArchiveSelection::Photos(vec![a, b]);
        let id = archive_id(event, "k1", &photos, 0);
        assert_eq!(id, archive_id(event, "k1", &photos, 0));
        let others = [
            archive_id(event, "k1", &photos, 1),
            archive_id(event, "k2", &photos, 0),
            archive_id(EventId::generate(), "k1", &photos, 0),
            archive_id(event, "k1", &ArchiveSelection::All, 0),
            archive_id(event, "k1", &ArchiveSelection::Photos(vec![a]), 0),
        ];
        assert!(others.iter().all(|other| *other != id));
        assert_eq!(JobId::parse(&id.to_string()).expect("a valid id"), id);
    }
}
