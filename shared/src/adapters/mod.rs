//! Adapters: the ports implemented on real infrastructure (AWS) and on local resources.

pub(crate) mod aws_errors;
pub mod dynamo_catalog;
pub mod fs_blobs;
pub mod layers;
pub mod memory_queue;
pub mod s3_blobs;
pub mod secrets_manager;
pub mod sqlite_catalog;
pub mod sqlite_queue;
pub mod sqs_queue;

pub use dynamo_catalog::DynamoCatalog;
pub use fs_blobs::FsBlobs;
pub use memory_queue::MemoryQueue;
pub use s3_blobs::S3Blobs;
pub use secrets_manager::SecretsManagerKeys;
pub use sqlite_catalog::SqliteCatalog;
pub use sqlite_queue::{DeadLetter, QueueDepth, QueueSettings, SqliteQueue};
pub use sqs_queue::{SqsQueue, SqsSender};
