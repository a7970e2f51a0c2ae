//! The events table's stream, read for the reaper: which removals are event rows that
//! DynamoDB's TTL took out (and so still need their objects and children deleted).

use aws_lambda_events::event::dynamodb::EventRecord;

use super::items::event_pk;
use super::schema::attr;
use crate::domain::{Event, EventId};
use crate::error::{Error, Result};

/// The event row a stream record says DynamoDB's TTL removed, read from its old image;
/// `None` for every other record (inserts, updates, removals by anyone but the TTL
/// process, rows that are not an event's: path claims, tombstones, children).
pub fn event_expired_by_ttl(record: &EventRecord) -> Result<Option<Event>> {
    let by_ttl = record
        .user_identity
        .as_ref()
        .is_some_and(|who| who.type_ == "Service" && who.principal_id == "dynamodb.amazonaws.com");
    if record.event_name != "REMOVE" || !by_ttl {
        return Ok(None);
    }
    let pk = match record.change.keys.get(attr::PK) {
        Some(serde_dynamo::AttributeValue::S(pk)) => pk.clone(),
        _ => return Ok(None),
    };
    let Some(event_id) = pk
        .strip_prefix("event#")
        .and_then(|id| EventId::parse(id).ok())
    else {
        return Ok(None);
    };
    if record.change.old_image.is_empty() {
        return Err(Error::internal_msg(
            "the events table's stream carries no old images: set its view type to \
             OLD_IMAGE or NEW_AND_OLD_IMAGES",
        ));
    }
    let event: Event = serde_dynamo::from_item(record.change.old_image.clone()).map_err(|e| {
        Error::internal(
            format!("malformed event image in the stream at key {pk}"),
            e,
        )
    })?;
    if event_pk(event.event_id) != pk || event.event_id != event_id {
        return Err(Error::internal_msg(format!(
            "the stream's image at key {pk} holds another event"
        )));
    }
    Ok(Some(event))
}
