//! PicPass shared library: the domain, its ports and their adapters, the image pipeline
//! and the HTTP glue every function uses. Functions only wire these together.

pub mod adapters;
pub mod config;
pub mod domain;
pub mod error;
pub mod pipeline;
pub mod ports;

pub use error::{Error, Result};
