//! PicPass shared library: the domain, its ports and their adapters, the image pipeline
//! and the HTTP glue every function uses. Functions only wire these together.

pub mod adapters;
pub mod archive;
pub mod codes_vault;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod local_auth;
pub mod pipeline;
pub mod ports;
pub mod processing;
pub mod reaping;
pub mod services;
pub mod telemetry;
pub mod viewer_tokens;
pub mod wiring;

pub use error::{Error, Result};
