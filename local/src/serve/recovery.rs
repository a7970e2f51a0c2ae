//! What a start does before serving, so a crash (`kill -9`, power loss) loses nothing:
//!
//! 1. Deliveries in flight when the last server died are made visible at once: this server
//!    holds the data directory's lock, so their consumer is gone for sure, and waiting out
//!    their visibility timeouts (5 and 15 minutes) would only delay the work.
//! 2. Every stored original is checked against its photo: one still `pending` (its upload
//!    notification may have died with the process between the object's write and the queue)
//!    or stuck in `processing` under a dead worker's lease is queued again (the lease given
//!    back first); one without a photo row is queued too, so `process` deletes it as it does
//!    an upload that lands after its photo was deleted. `ready` and `failed` photos are left
//!    alone. A photo queued twice is harmless: processing claims it once.

use std::time::Instant;

use shared::domain::{PageRequest, PhotoStatus, Timestamp, keys};
use shared::ports::queue::QueueSender;
use shared::ports::{Blobs, Catalog};
use shared::services::photos::s3_created_notification;
use shared::wiring::local::{LOCAL_BUCKET, LocalStack};

/// What recovery found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Recovered {
    /// Deliveries made visible again.
    pub deliveries: u64,
    /// Originals looked at.
    pub originals: u64,
    /// Originals queued for processing again.
    pub requeued: u64,
}

/// Runs both steps.
pub async fn recover(stack: &LocalStack, blobs: &dyn Blobs) -> shared::Result<Recovered> {
    let started = Instant::now();
    let mut recovered = Recovered {
        deliveries: stack.process_queue().make_in_flight_visible().await?
            + stack.jobs_queue().make_in_flight_visible().await?,
        ..Recovered::default()
    };
    let catalog = stack.catalog();
    let queue = stack.process_queue();
    let mut cursor = None;
    loop {
        let page = blobs
            .list(
                keys::ORIGINALS_PREFIX,
                &PageRequest {
                    limit: 1000,
                    cursor,
                },
            )
            .await?;
        for object in &page.items {
            recovered.originals += 1;
            if needs_processing(catalog.as_ref(), &object.key).await? {
                queue
                    .send(&s3_created_notification(
                        LOCAL_BUCKET,
                        &object.key,
                        object.bytes,
                    ))
                    .await?;
                recovered.requeued += 1;
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    tracing::info!(
        deliveries = recovered.deliveries,
        originals = recovered.originals,
        requeued = recovered.requeued,
        ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "recovery done"
    );
    Ok(recovered)
}

/// Whether the original at `key` must go (back) to `process`, giving back a dead lease.
async fn needs_processing(catalog: &dyn Catalog, key: &str) -> shared::Result<bool> {
    let Some((_, event_id, photo_id)) = keys::parse_original(key) else {
        return Ok(false);
    };
    let photo = match catalog.get_photo(event_id, photo_id).await {
        Ok(photo) => photo,
        Err(e) if e.is_not_found() => return Ok(true),
        Err(e) => return Err(e),
    };
    match photo.status {
        PhotoStatus::Ready | PhotoStatus::Failed => Ok(false),
        PhotoStatus::Pending => Ok(true),
        PhotoStatus::Processing => {
            let mut released = photo;
            released.status = PhotoStatus::Pending;
            released.processing_until = Some(Timestamp::now());
            match catalog.update_photo(&released).await {
                Ok(_) => Ok(true),
                // Changed meanwhile: whoever changed it is handling it.
                Err(e) if e.is_conflict() || e.is_not_found() => Ok(false),
                Err(e) => Err(e),
            }
        }
    }
}
