//! CRC-32s of originals processed before the processor recorded them, computed by
//! streaming each original once. Long selections of such photos take more than one
//! delivery, so this stops at a checkpoint (the caller saves the manifest) or when the
//! delivery's time is up.

use std::time::{Duration, Instant};

use super::assemble::{self, Originals};
use super::build::Budget;
use super::manifest::Manifest;
use crate::error::Result;

/// Longest stretch of work between two saves of the manifest: a crash loses no more.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(60);

/// Where [`fill`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Checksums {
    /// Every entry has its CRC-32.
    Complete,
    /// Time to save what was computed; more remain.
    Checkpoint,
    /// The delivery's time is up; more remain.
    OutOfTime,
}

/// Computes missing CRC-32s into `manifest`, one original after another.
pub(super) async fn fill(
    originals: Originals<'_>,
    manifest: &mut Manifest,
    budget: &mut Budget,
) -> Result<Checksums> {
    let started = Instant::now();
    for index in 0..manifest.entries.len() {
        if manifest
            .entries
            .get(index)
            .is_some_and(|e| e.crc32.is_some())
        {
            continue;
        }
        if budget.exhausted() {
            return Ok(Checksums::OutOfTime);
        }
        if started.elapsed() >= CHECKPOINT_EVERY {
            return Ok(Checksums::Checkpoint);
        }
        let crc = assemble::checksum(originals, manifest, index).await?;
        if let Some(entry) = manifest.entries.get_mut(index) {
            entry.crc32 = Some(crc);
        }
        budget.worked();
    }
    Ok(Checksums::Complete)
}
