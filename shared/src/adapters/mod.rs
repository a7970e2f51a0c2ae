//! Adapters: the ports implemented against real storage and services.

pub mod s3_blobs;
