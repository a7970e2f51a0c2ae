//! How S3 failures become `shared::Error`: missing things are `NotFound`, what a retry may
//! cure is `Transient`, everything else (permissions, a missing bucket, bugs) is `Internal`.

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use crate::error::Error;

/// Error codes S3 uses for an object or upload that does not exist (`NotFound` is what a
/// HEAD's bodiless 404 becomes).
const MISSING: &[&str] = &["NoSuchKey", "NotFound", "NoSuchUpload"];

/// Error codes that say "slow down" or "try again", whatever their status.
const RETRYABLE: &[&str] = &[
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "InternalError",
    "ServiceUnavailable",
];

/// Classifies a failed S3 call. `what` names the operation for logs and messages.
pub(crate) fn map_sdk_error<E>(what: &'static str, err: SdkError<E>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            tracing::warn!(operation = what, error = %aws_sdk_s3::error::DisplayErrorContext(&err), "S3 unreachable");
            Error::transient(format!("S3 {what} failed to complete"), err)
        }
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let code = service.err().code().unwrap_or_default();
            if MISSING.contains(&code) || (status == 404 && code.is_empty()) {
                Error::not_found("not_found", "no such object")
            } else if status == 429 || status >= 500 || RETRYABLE.contains(&code) {
                tracing::warn!(operation = what, status, code, "S3 asked us to retry");
                Error::transient(format!("S3 {what} failed ({status} {code})"), err)
            } else {
                Error::internal(format!("S3 {what} failed ({status} {code})"), err)
            }
        }
        _ => Error::internal(format!("S3 {what} could not be sent"), err),
    }
}
