//! Test support for PicPass: loopback emulators (s3s-fs, moto_server), fresh adapter
//! fixtures and the port conformance suites every adapter runs.

pub mod api;
pub mod api_flows;
pub mod aws;
pub mod conformance;
pub mod fixtures;
pub mod moto;
pub mod openapi;
pub mod s3;
