//! Test support for PicPass: loopback servers and adapters ready to use (`fixtures`, `s3`),
//! and the conformance suites every adapter of a port runs (`conformance`).

pub mod conformance;
pub mod fixtures;
pub mod s3;
