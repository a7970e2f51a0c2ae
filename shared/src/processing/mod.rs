//! The processing side: queue messages in, derivatives and photo status out.

pub mod notification;
pub mod original;
pub mod sqs_batch;

pub use notification::{CreatedObject, Notification};
pub use original::{DerivedPhoto, EncodedVariant, Outcome, PhotoDeriver, ProcessDeps, WatermarkInput, process_original};
