//! Adapters: the ports implemented on real infrastructure (AWS) and on local resources.

pub mod dynamo_catalog;
pub mod fs_blobs;
pub mod memory_queue;
pub mod s3_blobs;
pub mod sqlite_catalog;
pub mod sqs_queue;

pub use sqlite_catalog::SqliteCatalog;
