//! Zip archives of a viewer's selection, built server-side into storage.
//!
//! A viewer asks for "these photos" or "everything my code grants" ([`request`]); the
//! `archive` function builds the zip as a multipart upload, part after part (the next one
//! read while the last uploads), saving its progress in the job row after each part
//! ([`build`]); the viewer polls for a signed
//! download URL ([`request::archive_status`]). Archives live 24 hours ([`lifetime`]); the
//! reaper removes what is past that ([`sweep`]).
//!
//! The format itself is in [`zip`] (pure); [`manifest`] is the list of entries an archive is
//! built from, kept in storage beside it so the job row stays small.

mod assemble;
pub mod build;
mod checksums;
pub mod deps;
pub mod handler;
pub mod lifetime;
pub mod manifest;
pub mod request;
pub mod selection;
pub mod sweep;
pub mod zip;

pub use build::{ArchiveOutcome, process_archive_job};
pub use deps::ArchiveDeps;
pub use request::{ArchiveRequested, ArchiveState, ArchiveStatus, archive_status, request_archive};
pub use selection::ArchiveSelection;
pub use sweep::{SweepPage, sweep_archives};
