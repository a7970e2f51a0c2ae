//! Zip archives of what a viewer's code grants: asked for, then polled. The work itself is
//! in [`crate::archive`]; this is the gallery's side of it, behind a checked viewer.

use std::sync::Arc;

use serde::Deserialize;

use crate::archive::{self, ArchiveDeps, ArchiveRequested, ArchiveSelection, ArchiveStatus};
use crate::domain::{JobId, PhotoId, Timestamp};
use crate::error::{Error, Result};

use super::super::Deps;
use super::Viewer;

/// `POST …/archives` body: `{"photo_ids": [...]}` or `{"all": true}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestArchive {
    /// These photos (each must be granted).
    #[serde(default, deserialize_with = "crate::domain::fields::not_null")]
    pub photo_ids: Option<Vec<PhotoId>>,
    /// Everything the code grants.
    #[serde(default, deserialize_with = "crate::domain::fields::not_null")]
    pub all: Option<bool>,
}

impl RequestArchive {
    fn selection(self) -> Result<ArchiveSelection> {
        match (self.all, self.photo_ids) {
            (Some(true), None) => Ok(ArchiveSelection::All),
            (None | Some(false), Some(ids)) => Ok(ArchiveSelection::Photos(ids)),
            _ => Err(Error::invalid(
                "invalid_body",
                "give either all: true or a list of photo_ids",
            )),
        }
    }
}

/// Asks for an archive of the viewer's selection (or everything granted); the same
/// request from the same code while one is live returns that one.
pub async fn request_archive(
    deps: &Deps,
    viewer: &Viewer,
    body: RequestArchive,
) -> Result<ArchiveRequested> {
    let selection = body.selection()?;
    archive::request_archive(
        &archive_deps(deps)?,
        &viewer.event,
        &viewer.code,
        selection,
        Timestamp::now(),
    )
    .await
}

/// The status of one of the viewer's code's archives (any other code's is 404).
pub async fn archive_status(
    deps: &Deps,
    viewer: &Viewer,
    archive_id: JobId,
) -> Result<ArchiveStatus> {
    archive::archive_status(
        &archive_deps(deps)?,
        &viewer.event,
        &viewer.code.code_key,
        archive_id,
        Timestamp::now(),
    )
    .await
}

fn archive_deps(deps: &Deps) -> Result<ArchiveDeps> {
    let jobs_queue = deps
        .jobs_queue
        .clone()
        .ok_or_else(|| Error::internal_msg("the gallery was started without the jobs queue"))?;
    Ok(ArchiveDeps {
        catalog: Arc::clone(&deps.catalog),
        blobs: Arc::clone(&deps.blobs),
        jobs_queue,
        max_entries: u32::try_from(deps.limits.max_photos_per_event).unwrap_or(u32::MAX),
    })
}
