//! Test support for PicPass: loopback servers (moto_server, in-process s3s-fs), fixtures that
//! own real adapters (and whatever keeps them alive), the port conformance suites every
//! adapter runs, and the photographer-API test harness and OpenAPI checks.

pub mod api;
pub mod api_flows;
pub mod aws;
pub mod conformance;
pub mod faulty_blobs;
pub mod fixtures;
pub mod moto;
pub mod openapi;
pub mod s3;
pub mod seed;
