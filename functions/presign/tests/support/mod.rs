//! What the presign route tests share: the sample requests and the event's photo count.

#![allow(dead_code)]

use shared::domain::EventId;
use testkit::api::{ApiHarness, ApiRequest, Function};

/// One mebibyte.
pub const MIB: u64 = 1024 * 1024;

/// The sample presign request `name`.
pub fn pre(name: &str) -> ApiRequest {
    ApiRequest::sample(Function::Presign, name)
}

/// The event's photo count, read from the catalog.
pub async fn photo_count(h: &ApiHarness, event_id: &str) -> u64 {
    h.deps
        .catalog
        .get_event(EventId::parse(event_id).expect("id"))
        .await
        .expect("event")
        .photo_count
}
