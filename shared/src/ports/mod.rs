//! Ports: the traits handlers depend on. Adapters live in `crate::adapters`.

pub mod blobs;
pub mod catalog;
pub mod queue;

pub use blobs::{
    Blobs, CompletedPart, ObjectInfo, PartInfo, Presign, PresignedRequest, PutConstraints,
};
pub use catalog::{Catalog, Counter, MAX_GET_PHOTOS, PhotoQuery, PhotoSort, child_expiry};
pub use queue::{Delivery, Queue, QueueConsumer, QueueSender};
