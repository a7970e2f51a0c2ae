//! Adapters: implementations of the ports against real storage and services.

pub mod fs_blobs;
