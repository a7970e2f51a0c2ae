//! One conformance suite per port: a list of cases (`pub async fn case(port: &dyn Port)`)
//! and one macro that instantiates every case for an adapter, so the lists cannot drift.

pub mod blobs;
