//! How S3 failures become `shared::Error`: missing objects and uploads are `NotFound`, a
//! multipart completion the client got wrong is `Invalid`; everything else is classified by
//! the shared AWS classifier (`crate::adapters::aws_errors`).

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use crate::adapters::aws_errors;
use crate::error::Error;

/// Error codes S3 uses for an object or upload that does not exist (`NotFound` is what a
/// HEAD's bodiless 404 becomes).
const MISSING: &[&str] = &["NoSuchKey", "NotFound", "NoSuchUpload"];

/// Error codes of a multipart completion whose part list does not match what was uploaded
/// (wrong ETag, unknown or unordered part, a non-final part under 5 MiB): the part list
/// comes from the client, so these are its mistakes, not ours.
const BAD_PARTS: &[&str] = &["InvalidPart", "InvalidPartOrder", "EntityTooSmall"];

/// Classifies a failed S3 call. `what` names the operation for logs and messages.
pub(crate) fn map_sdk_error<E>(what: &'static str, err: SdkError<E>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    aws_errors::map_sdk_error("S3", what, "the bucket", err, |status, code| {
        if MISSING.contains(&code) || (status == 404 && code.is_empty()) {
            Some(Error::not_found("not_found", "no such object"))
        } else if BAD_PARTS.contains(&code) {
            Some(Error::invalid(
                "invalid_parts",
                "the parts do not match the uploaded ones (ETag, order or size)",
            ))
        } else {
            None
        }
    })
}
