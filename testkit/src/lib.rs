//! Test support for PicPass: loopback emulators (moto_server) and the port conformance
//! suites every adapter runs.

pub mod aws;
pub mod moto;
