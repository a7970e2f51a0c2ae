//! PicPass shared library: the domain, its ports and their adapters, the image pipeline
//! and the HTTP glue every function uses. Functions only wire these together.

pub mod domain;
pub mod error;
pub mod ports;
pub mod processing;

pub use error::{Error, Result};
