//! Ports: the traits handlers depend on. Adapters live in `crate::adapters`.

pub mod blobs;
pub mod catalog;
pub mod queue;

pub use blobs::{
    Blobs, CompletedPart, ObjectInfo, PartInfo, Presign, PresignedRequest, PutConstraints,
};
pub use catalog::{Catalog, Counter, PhotoQuery, PhotoSort, child_expiry};
pub use queue::{Delivery, Queue, QueueConsumer, QueueSender};
