//! Test support for PicPass: loopback servers (moto_server, in-process s3s-fs), fixtures that
//! own real adapters (and whatever keeps them alive) and the port conformance suites every
//! adapter runs.

pub mod aws;
pub mod conformance;
pub mod fixtures;
pub mod moto;
pub mod s3;
