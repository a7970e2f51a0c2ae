//! One classifier of AWS SDK failures, shared by the S3, DynamoDB, SQS and Secrets Manager
//! adapters, so they agree on what a retry may cure and on what is our own misconfiguration.
//!
//! Each adapter first gives meaning to the codes only its service has (a missing object,
//! a failed condition, a stale receipt); everything else is classified here:
//! - unreachable, timed out, throttled or failed on the service's side → `Transient`
//!   (HTTP 503; an SQS consumer retries the message);
//! - the bucket, table, queue or secret does not exist → `Internal` (500), logged as an
//!   error: the deployment is wrong, and no client can do anything about it;
//! - anything else (access denied, a request we built wrong) → `Internal`.

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use crate::error::Error;

/// Error codes that mean "slow down" or "try again", whatever their status.
const RETRYABLE_CODES: &[&str] = &[
    // S3
    "SlowDown",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "InternalError",
    "ServiceUnavailable",
    // DynamoDB
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
    "TransactionInProgressException",
    // A single-item write refused because a transaction held its item at that moment (a
    // photo delete holds its photo and event rows): nothing was written or checked, so no
    // condition was lost; the catalog's `ops::through_transactions` tries again first.
    "TransactionConflictException",
    // SQS
    "RequestThrottled",
    "AWS.SimpleQueueService.RequestThrottled",
    // all
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
];

/// Error codes of a bucket, table, queue or secret that does not exist.
const MISSING_RESOURCE_CODES: &[&str] = &[
    "NoSuchBucket",
    // DynamoDB and Secrets Manager
    "ResourceNotFoundException",
    "QueueDoesNotExist",
    "AWS.SimpleQueueService.NonExistentQueue",
];

/// What a failed SDK call is, before any service gives its codes meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure<'a> {
    /// Unreachable, timed out, throttled, or failed on the service's side.
    Retryable,
    /// The bucket, table or queue is not there.
    MissingResource,
    /// A service answer the caller may know more about.
    Service {
        /// HTTP status.
        status: u16,
        /// The service's error code (empty when the response had none, e.g. a HEAD's 404).
        code: &'a str,
    },
    /// The request could not be built or sent for a reason a retry will not change.
    Unsendable,
}

/// Classifies `err` (see the module docs).
pub(crate) fn classify<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Failure<'_> {
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            Failure::Retryable
        }
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let code = service.err().code().unwrap_or_default();
            if MISSING_RESOURCE_CODES.contains(&code) {
                Failure::MissingResource
            } else if status == 429 || status >= 500 || RETRYABLE_CODES.contains(&code) {
                Failure::Retryable
            } else {
                Failure::Service { status, code }
            }
        }
        _ => Failure::Unsendable,
    }
}

/// The `Error` of a failed call on `resource` (a bucket, table or queue name): `specific`
/// is asked first, with the status and code of a service answer, for the meaning only its
/// service gives them; the shared classes follow.
pub(crate) fn map_sdk_error<E>(
    service: &'static str,
    operation: &'static str,
    resource: &str,
    err: SdkError<E, HttpResponse>,
    specific: impl FnOnce(u16, &str) -> Option<Error>,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if let SdkError::ServiceError(answer) = &err {
        let status = answer.raw().status().as_u16();
        if let Some(mapped) = specific(status, answer.err().code().unwrap_or_default()) {
            return mapped;
        }
    }
    match classify(&err) {
        Failure::Retryable => {
            tracing::warn!(service, operation, resource, error = %DisplayChain(&err), "retryable AWS failure");
            Error::transient(
                format!("{service} {operation} on {resource} failed; retry"),
                err,
            )
        }
        Failure::MissingResource => {
            tracing::error!(
                service,
                operation,
                resource,
                "AWS resource does not exist: the deployment's configuration is wrong"
            );
            Error::internal(
                format!(
                    "{service} {resource} does not exist (check the deployment's configuration)"
                ),
                err,
            )
        }
        Failure::Service { status, code } => {
            let message = format!("{service} {operation} on {resource} failed ({status} {code})");
            Error::internal(message, err)
        }
        Failure::Unsendable => Error::internal(
            format!("{service} {operation} on {resource} could not be sent"),
            err,
        ),
    }
}

/// An error and its sources on one line, for logs.
struct DisplayChain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for DisplayChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::operation::get_item::GetItemError;
    use aws_sdk_s3::error::ErrorMetadata;
    use aws_sdk_s3::operation::head_object::HeadObjectError;
    use aws_sdk_s3::primitives::SdkBody;
    use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
    use aws_sdk_sqs::operation::send_message::SendMessageError;

    fn answer(status: u16) -> HttpResponse {
        HttpResponse::new(status.try_into().expect("valid status"), SdkBody::empty())
    }

    fn sqs(status: u16, code: &str) -> SdkError<SendMessageError, HttpResponse> {
        SdkError::service_error(
            SendMessageError::generic(ErrorMetadata::builder().code(code).build()),
            answer(status),
        )
    }

    fn dynamo(status: u16, code: &str) -> SdkError<GetItemError, HttpResponse> {
        SdkError::service_error(
            GetItemError::generic(ErrorMetadata::builder().code(code).build()),
            answer(status),
        )
    }

    fn secrets(status: u16, code: &str) -> SdkError<GetSecretValueError, HttpResponse> {
        SdkError::service_error(
            GetSecretValueError::generic(ErrorMetadata::builder().code(code).build()),
            answer(status),
        )
    }

    fn s3(status: u16, code: &str) -> SdkError<HeadObjectError, HttpResponse> {
        SdkError::service_error(
            HeadObjectError::generic(ErrorMetadata::builder().code(code).build()),
            answer(status),
        )
    }

    #[test]
    fn a_missing_queue_table_or_bucket_is_our_misconfiguration() {
        for failure in [
            classify(&sqs(400, "AWS.SimpleQueueService.NonExistentQueue")),
            classify(&sqs(400, "QueueDoesNotExist")),
            classify(&dynamo(400, "ResourceNotFoundException")),
            classify(&s3(404, "NoSuchBucket")),
            classify(&secrets(400, "ResourceNotFoundException")),
        ] {
            assert_eq!(failure, Failure::MissingResource);
        }
        let err = map_sdk_error(
            "SQS",
            "SendMessage",
            "q",
            sqs(400, "QueueDoesNotExist"),
            |_, _| None,
        );
        assert_eq!(err.http_status(), 500, "{err}");
        assert_eq!(err.code(), "internal_error");
    }

    #[test]
    fn throttling_and_server_errors_are_retryable_on_every_service() {
        for failure in [
            classify(&sqs(400, "AWS.SimpleQueueService.RequestThrottled")),
            classify(&sqs(500, "InternalError")),
            classify(&dynamo(400, "ProvisionedThroughputExceededException")),
            classify(&dynamo(400, "ThrottlingException")),
            classify(&dynamo(500, "")),
            classify(&s3(503, "SlowDown")),
            classify(&s3(429, "")),
            classify(&secrets(400, "ThrottlingException")),
            classify(&secrets(500, "InternalServiceError")),
        ] {
            assert_eq!(failure, Failure::Retryable);
        }
        let err = map_sdk_error(
            "DynamoDB",
            "GetItem",
            "t",
            dynamo(400, "ThrottlingException"),
            |_, _| None,
        );
        assert_eq!(err.http_status(), 503);
        assert_eq!(err.retry_class(), crate::error::RetryClass::Retry);
    }

    #[test]
    fn the_services_own_codes_are_theirs_to_map_first() {
        let err = map_sdk_error("S3", "HeadObject", "b", s3(404, ""), |status, code| {
            (status == 404 && code.is_empty())
                .then(|| Error::not_found("not_found", "no such object"))
        });
        assert_eq!(err.http_status(), 404);
        let err = map_sdk_error("S3", "HeadObject", "b", s3(403, "AccessDenied"), |_, _| {
            None
        });
        assert_eq!(err.http_status(), 500);
    }
}
