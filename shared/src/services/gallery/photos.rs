//! What a viewer's code grants: its ready photos, page by page, and single downloads.

use serde::Serialize;

use crate::domain::{
    Cursor, EventId, Grant, Page, PageRequest, Photo, PhotoId, PhotoStatus, Timestamp,
    download_name, keys,
};
use crate::error::{Error, Result};
use crate::ports::{MAX_GET_PHOTOS, PhotoQuery, PhotoSort, Presign};

use super::super::Deps;
use super::{DOWNLOAD_URL_SECS, VIEWER_URL_SECS, Viewer};

/// A granted photo as a viewer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ViewerPhoto {
    /// Id.
    pub photo_id: PhotoId,
    /// The original's file name (what a download is saved as).
    pub filename: String,
    /// Upright width.
    pub width: u32,
    /// Upright height.
    pub height: u32,
    /// Capture time, when known.
    pub taken_at: Option<Timestamp>,
    /// Signed thumbnail URL ([`VIEWER_URL_SECS`]).
    pub thumb_url: String,
    /// Signed web-size URL ([`VIEWER_URL_SECS`]).
    pub web_url: String,
}

/// `…/photos/{photo_id}/download`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Download {
    /// A signed GET of the original, saved under its file name ([`DOWNLOAD_URL_SECS`]).
    pub url: String,
}

/// Batches of a subset grant looked up for one page at most: a page stays cheap however
/// many of the granted photos are not ready (it is shorter then, with a cursor).
const MAX_BATCHES_PER_PAGE: usize = 5;

/// A page of the ready photos the viewer's code grants, in upload order. A code for all
/// photos lists the event's ready photos; a subset is looked up by its ids (a set lookup,
/// never a scan of the event).
pub async fn list_photos(
    deps: &Deps,
    viewer: &Viewer,
    page: &PageRequest,
) -> Result<Page<ViewerPhoto>> {
    let event_id = viewer.event.event_id;
    let found = match &viewer.code.grant {
        Grant::All => {
            let query = PhotoQuery {
                status: Some(PhotoStatus::Ready),
                sort: PhotoSort::Uploaded,
            };
            deps.catalog.list_photos(event_id, &query, page).await?
        }
        Grant::Photos(ids) => {
            subset_page(deps, event_id, &viewer.code.code_key, ids.as_slice(), page).await?
        }
    };
    let presign = Presign::now(VIEWER_URL_SECS);
    let items = found
        .items
        .into_iter()
        .filter(|p| p.status == PhotoStatus::Ready && viewer.code.grant.covers(p.photo_id))
        .map(|p| view(deps, p, presign))
        .collect::<Result<Vec<_>>>()?;
    Ok(Page {
        items,
        next: found.next,
    })
}

/// `ids` (sorted, as a [`crate::domain::GrantedPhotos`] keeps them) from the cursor on,
/// read in batches of the page size until the page is full.
async fn subset_page(
    deps: &Deps,
    event_id: EventId,
    code_key: &str,
    ids: &[PhotoId],
    page: &PageRequest,
) -> Result<Page<Photo>> {
    let scope = format!("gallery/{event_id}/{code_key}");
    let mut start = match &page.cursor {
        Some(cursor) => {
            let after: PhotoId = cursor.decode(&scope)?;
            ids.partition_point(|id| *id <= after)
        }
        None => 0,
    };
    let limit = usize::try_from(page.limit)
        .unwrap_or(usize::MAX)
        .clamp(1, MAX_GET_PHOTOS);
    let mut items: Vec<Photo> = Vec::with_capacity(limit);
    let mut last = None;
    for _ in 0..MAX_BATCHES_PER_PAGE {
        let Some(batch) = ids.get(start..ids.len().min(start + limit)) else {
            break;
        };
        if batch.is_empty() {
            break;
        }
        let photos = deps.catalog.get_photos(event_id, batch).await?;
        start += batch.len();
        last = batch.last().copied();
        for photo in photos {
            if photo.status != PhotoStatus::Ready {
                continue;
            }
            let id = photo.photo_id;
            items.push(photo);
            if items.len() == limit {
                // Continue right after this one: the rest of the batch is listed next time.
                last = Some(id);
                start = ids.partition_point(|x| *x <= id);
                break;
            }
        }
        if items.len() == limit {
            break;
        }
    }
    let next = match (last, start < ids.len()) {
        (Some(last), true) => Some(Cursor::encode(&scope, &last)?),
        _ => None,
    };
    Ok(Page { items, next })
}

fn view(deps: &Deps, photo: Photo, presign: Presign) -> Result<ViewerPhoto> {
    let sign = |variant: &str| -> Result<String> {
        let key = keys::derived(&photo.owner_id, photo.event_id, photo.photo_id, variant);
        Ok(deps.blobs.presign_get(&key, None, presign)?.url)
    };
    let (thumb_url, web_url) = (sign("thumb")?, sign("web")?);
    let meta = photo.metadata.unwrap_or_default();
    Ok(ViewerPhoto {
        photo_id: photo.photo_id,
        filename: photo.filename,
        width: meta.width,
        height: meta.height,
        taken_at: meta.taken_at,
        thumb_url,
        web_url,
    })
}

/// A signed download of a granted, ready photo's original, saved under its original name
/// (a `Content-Disposition` nothing in the name can break out of). Anything the code does
/// not grant is 404, exactly like a photo that does not exist.
pub async fn download(deps: &Deps, viewer: &Viewer, photo_id: PhotoId) -> Result<Download> {
    let not_found = || Error::not_found("photo_not_found", "no such photo in this gallery");
    if !viewer.code.grant.covers(photo_id) {
        return Err(not_found());
    }
    let photo = match deps
        .catalog
        .get_photo(viewer.event.event_id, photo_id)
        .await
    {
        Ok(photo) if photo.status == PhotoStatus::Ready => photo,
        Ok(_) => return Err(not_found()),
        Err(e) if e.is_not_found() => return Err(not_found()),
        Err(e) => return Err(e),
    };
    let key = keys::original(&photo.owner_id, photo.event_id, photo.photo_id);
    let disposition = download_name::attachment(&photo.filename, "photo");
    let signed =
        deps.blobs
            .presign_get(&key, Some(&disposition), Presign::now(DOWNLOAD_URL_SECS))?;
    Ok(Download { url: signed.url })
}
