//! Test support for PicPass: fixtures that own real adapters (and whatever keeps them
//! alive) and the port conformance suites every adapter runs.

pub mod conformance;
pub mod fixtures;
