//! The processing side: queue messages in (uploaded originals, custom-derivative jobs),
//! derivatives, photo status and job progress out.

pub mod custom_derivative;
pub mod deps;
pub mod derivative_job;
pub mod deriver;
pub mod notification;
pub mod pipeline_deriver;
pub mod queue_messages;
pub mod sqs_batch;
pub mod uploaded_original;

pub use custom_derivative::{DerivativeJobRequest, StoredDerivative, custom_key, render_and_store};
pub use deps::{LEASE_SECS, ProcessDeps};
pub use derivative_job::{JobOutcome, process_job};
pub use deriver::{DerivedPhoto, EncodedVariant, PhotoDeriver, WatermarkInput};
pub use notification::{CreatedObject, Notification};
pub use pipeline_deriver::PipelineDeriver;
pub use uploaded_original::{Outcome, process_original};
