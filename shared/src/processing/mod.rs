//! The processing side: queue messages in (uploaded originals, custom-derivative jobs),
//! derivatives, photo status and job progress out.

pub mod custom;
pub mod derivative_job;
pub mod handler;
pub mod notification;
pub mod original;
pub mod pipeline_deriver;
pub mod sqs_batch;

pub use custom::{DerivativeJobRequest, StoredDerivative, custom_key, render_and_store};
pub use derivative_job::{JobOutcome, process_job};
pub use notification::{CreatedObject, Notification};
pub use original::{
    DerivedPhoto, EncodedVariant, Outcome, PhotoDeriver, ProcessDeps, WatermarkInput,
    process_original,
};
pub use pipeline_deriver::PipelineDeriver;
