//! The processing side: queue messages in, derivatives and photo status out.

pub mod handler;
pub mod notification;
pub mod original;
pub mod pipeline_deriver;
pub mod sqs_batch;

pub use notification::{CreatedObject, Notification};
pub use original::{
    DerivedPhoto, EncodedVariant, Outcome, PhotoDeriver, ProcessDeps, WatermarkInput,
    process_original,
};
pub use pipeline_deriver::PipelineDeriver;
