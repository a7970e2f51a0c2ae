//! Test support for PicPass: loopback servers the adapters are tested against, and the
//! conformance suites every adapter of a port must pass.

pub mod s3;
