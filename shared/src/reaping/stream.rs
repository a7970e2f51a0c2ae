//! The reaper's AWS trigger: DynamoDB's stream of the events table. Each event row that
//! TTL removed is reaped at once, from the row's old image (the row itself is gone).

use aws_lambda_events::event::dynamodb::Event as StreamBatch;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use tracing::{error, info};

use super::{ReapReport, ReaperDeps, reap_event};
use crate::adapters::dynamo_catalog::event_expired_by_ttl;

/// Reaps every event the batch's TTL removals name, in stream order. At the first failure
/// it stops and reports that record, so Lambda retries from it (a stream is ordered per
/// shard; later records wait). Reaping is idempotent, so a retried record is safe.
pub async fn handle_stream_batch(deps: &ReaperDeps, batch: StreamBatch) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    let mut report = ReapReport::default();
    for record in &batch.records {
        let outcome = match event_expired_by_ttl(record) {
            Ok(Some(event)) => reap_event(deps, &event).await.map(Some),
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(Some(one)) => report.add(&one),
            Ok(None) => {}
            Err(e) => {
                error!(record = record.event_id, error = %e, "reaping from the stream failed; the record is retried");
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = record.change.sequence_number.clone();
                response.batch_item_failures.push(failure);
                break;
            }
        }
    }
    info!(
        records = batch.records.len(),
        events = report.events,
        objects = report.objects,
        "stream batch reaped"
    );
    response
}
