//! `template.yaml` against the code: the binaries, the environment `Config` reads, the
//! routes and their authorizers, the policies, the tables, the reaper's stream filter and
//! the timeouts. (cfn-lint and `sam validate --lint` check it against AWS's rules:
//! `scripts/check-template`.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use serde_json::{Map, Value, json};
use shared::adapters::dynamo_catalog::event_expired_by_ttl;
use shared::adapters::dynamo_catalog::schema::{self, IndexKind, TableSpec};
use shared::archive::build::ARCHIVE_TIME_MARGIN;
use shared::http::{events_api, gallery_api, presign_api};
use shared::processing::LEASE_SECS;
use shared::processing::derivative_job::JOB_TIME_MARGIN;
use shared::wiring::Function;
use testkit::openapi::Contract;

mod binaries;
mod environment;
mod policies;
mod reading;
mod reaper;
mod routes;
mod tables;
mod timeouts;
