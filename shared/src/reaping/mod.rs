//! Deleting what has expired, every byte of it (R2): events past their expiry (their
//! originals, derivatives, archives and rows; the public path kept 30 days as a tombstone
//! so an old link says "expired", not "not found") and archives past 24 hours.
//!
//! Two triggers feed it in AWS: DynamoDB's stream of TTL removals (an event item's old
//! image says what to delete at once) and a daily schedule (whatever TTL has not removed
//! yet — it is lazy, up to days — and the archives). The local stack runs the sweep on a
//! timer. Everything here is idempotent and resumable: objects go first, rows last, so a
//! run stopped halfway leaves the event row for the next run to find and finish.

pub mod stream;

use std::sync::Arc;

use serde::Serialize;
use tracing::{info, warn};

use crate::archive;
use crate::domain::{Event, PageRequest, Timestamp, keys};
use crate::error::{Error, Result};
use crate::ports::{Blobs, Catalog};
use crate::wiring::{Adapters, Function};

pub use crate::domain::TOMBSTONE_SECS;

/// Events reaped per sweep page.
const SWEEP_PAGE: u32 = 100;

/// What the reaper needs.
#[derive(Debug, Clone)]
pub struct ReaperDeps {
    /// Rows to find and delete.
    pub catalog: Arc<dyn Catalog>,
    /// Objects to delete.
    pub blobs: Arc<dyn Blobs>,
}

impl ReaperDeps {
    /// For the `reaper` function: the adapters of the configured storage.
    pub async fn from_env() -> Result<Self> {
        let (_, adapters) = crate::wiring::from_env(Function::Reaper).await?;
        Ok(Self::new(adapters))
    }

    /// The deps over `adapters`.
    pub fn new(adapters: Adapters) -> Self {
        Self {
            catalog: adapters.catalog,
            blobs: adapters.blobs,
        }
    }
}

/// What one reaping did (logged, and read by tests and benchmarks).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReapReport {
    /// Events whose objects and rows were deleted.
    pub events: u64,
    /// Objects deleted.
    pub objects: u64,
    /// Archives past their lifetime deleted.
    pub archives: u64,
}

impl ReapReport {
    fn add(&mut self, other: &ReapReport) {
        self.events += other.events;
        self.objects += other.objects;
        self.archives += other.archives;
    }
}

/// Deletes every object of `event` (unfinished uploads aborted, then everything under its
/// prefixes), then its rows, keeping its public path as a tombstone until 30 days after
/// its expiry. Safe to repeat, and to run on an event already partly reaped.
pub async fn reap_event(deps: &ReaperDeps, event: &Event) -> Result<ReapReport> {
    // Unfinished multipart uploads are not objects yet: the delete route aborts them while
    // the event lives; after its expiry, S3's lifecycle rule (and the local stack's
    // clean-up of stale uploads) removes their parts within a day.
    let mut report = ReapReport {
        events: 1,
        ..ReapReport::default()
    };
    report.objects = delete_event_objects(deps.blobs.as_ref(), event).await?;
    let tombstone_until = event.expires_at.plus_secs(TOMBSTONE_SECS);
    deps.catalog
        .delete_event(event, Some(tombstone_until))
        .await?;
    info!(event_id = %event.event_id, objects = report.objects, "expired event reaped");
    Ok(report)
}

/// Deletes every object under `event`'s prefixes (originals, derivatives, archives);
/// returns how many. The photographer's delete and the reaper share it.
pub async fn delete_event_objects(blobs: &dyn Blobs, event: &Event) -> Result<u64> {
    let mut objects = 0;
    for prefix in keys::event_prefixes(&event.owner_id, event.event_id) {
        objects += blobs.delete_prefix(&prefix).await?;
    }
    Ok(objects)
}

/// The daily sweep: every expired event whose rows remain, then every archive past its
/// lifetime. One event failing does not stop the others (it is logged and retried by the
/// next sweep); the error of the first is returned at the end so the run is seen to fail.
pub async fn sweep(deps: &ReaperDeps, now: Timestamp) -> Result<ReapReport> {
    let mut report = ReapReport::default();
    let mut first_error = None;
    let mut page = PageRequest::first(SWEEP_PAGE);
    loop {
        let expired = deps.catalog.list_expired_events(now, &page).await?;
        for event in &expired.items {
            match reap_event(deps, event).await {
                Ok(one) => report.add(&one),
                Err(e) => {
                    warn!(event_id = %event.event_id, error = %e, "reaping an event failed; the next sweep retries");
                    first_error.get_or_insert(e);
                }
            }
        }
        match expired.next {
            Some(cursor) => page = PageRequest::after(SWEEP_PAGE, cursor),
            None => break,
        }
    }
    report.archives = delete_old_archives(deps, now).await?;
    info!(
        events = report.events,
        objects = report.objects,
        archives = report.archives,
        "sweep done"
    );
    match first_error {
        Some(e) => Err(e),
        None => Ok(report),
    }
}

/// One invocation of the `reaper` function: a batch of the events table's stream (it has
/// `Records`; answered with the records to retry) or the daily schedule (anything else, an
/// EventBridge event; a failed sweep fails the invocation so it is retried and alarmed).
pub async fn handle_invocation(
    deps: &ReaperDeps,
    payload: serde_json::Value,
) -> Result<serde_json::Value> {
    if payload.get("Records").is_some() {
        let batch = serde_json::from_value(payload).map_err(|e| {
            Error::invalid(
                "invalid_stream_batch",
                format!("not a DynamoDB stream batch: {e}"),
            )
        })?;
        let response = stream::handle_stream_batch(deps, batch).await;
        return serde_json::to_value(&response)
            .map_err(|e| Error::internal("the stream response", e));
    }
    let report = sweep(deps, Timestamp::now()).await?;
    serde_json::to_value(&report).map_err(|e| Error::internal("the sweep report", e))
}

/// Sweeps `archives/` whole (see [`crate::archive::sweep`] for what goes).
async fn delete_old_archives(deps: &ReaperDeps, now: Timestamp) -> Result<u64> {
    let mut deleted = 0;
    let mut page = PageRequest::first(1000);
    loop {
        let swept =
            archive::sweep_archives(deps.catalog.as_ref(), deps.blobs.as_ref(), now, &page).await?;
        deleted += swept.deleted;
        match swept.next {
            Some(cursor) => page = PageRequest::after(1000, cursor),
            None => return Ok(deleted),
        }
    }
}
