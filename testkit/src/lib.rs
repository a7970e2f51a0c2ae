//! Test support for PicPass: loopback emulators (moto_server), fixtures that own real
//! adapters (and whatever keeps them alive) and the port conformance suites every adapter runs.

pub mod aws;
pub mod conformance;
pub mod fixtures;
pub mod moto;
