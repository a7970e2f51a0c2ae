//! Mapping of DynamoDB SDK failures into `shared::Error`, in one place.

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;

use crate::error::Error;

/// What a failed call means to the adapter.
pub(super) fn sdk_error<E>(
    operation: &'static str,
    table: &str,
    err: SdkError<E, HttpResponse>,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = match &err {
        SdkError::ServiceError(ctx) => Some(ctx.raw().status().as_u16()),
        SdkError::ResponseError(ctx) => Some(ctx.raw().status().as_u16()),
        _ => None,
    };
    let code = err.code().unwrap_or_default().to_owned();
    match (&err, code.as_str()) {
        (_, "ConditionalCheckFailedException") => {
            Error::conflict("conflict", "the item was changed or already exists")
        }
        (
            _,
            "ProvisionedThroughputExceededException"
            | "ThrottlingException"
            | "RequestLimitExceeded"
            | "InternalServerError"
            | "ServiceUnavailable"
            | "TransactionInProgressException"
            // A single-item write refused because a transaction held the item at that moment
            // (a photo delete holds its photo and event rows): nothing was written or checked,
            // so it is no lost condition; `ops::through_transactions` tries again first.
            | "TransactionConflictException",
        ) => Error::transient(
            format!("DynamoDB {operation} on {table} failed ({code}); retry"),
            err,
        ),
        (_, "ResourceNotFoundException") => Error::internal(
            format!(
                "DynamoDB table {table} does not exist (create it with the SAM template or \
                 DynamoCatalog::create_tables)"
            ),
            err,
        ),
        (SdkError::TimeoutError(_) | SdkError::DispatchFailure(_), _) => Error::transient(
            format!("DynamoDB {operation} on {table} could not be reached"),
            err,
        ),
        _ if status.is_some_and(|s| s >= 500) => Error::transient(
            format!("DynamoDB {operation} on {table} failed with a server error"),
            err,
        ),
        _ => Error::internal(format!("DynamoDB {operation} on {table} failed"), err),
    }
}

/// The outcome of a cancelled transaction: which of its items failed their condition.
pub(super) enum TransactFailure {
    /// The condition of these item positions failed (0-based, in request order).
    Conditions(Vec<usize>),
    /// Anything else, already mapped.
    Other(Error),
}

/// Splits a `TransactWriteItems` failure into failed conditions and everything else.
pub(super) fn transact_error(
    table: &str,
    err: SdkError<TransactWriteItemsError, HttpResponse>,
) -> TransactFailure {
    if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
        err.as_service_error()
    {
        let failed: Vec<usize> = cancelled
            .cancellation_reasons()
            .iter()
            .enumerate()
            .filter(|(_, reason)| reason.code() == Some("ConditionalCheckFailed"))
            .map(|(index, _)| index)
            .collect();
        if !failed.is_empty() {
            return TransactFailure::Conditions(failed);
        }
        let throttled = cancelled.cancellation_reasons().iter().any(|reason| {
            matches!(
                reason.code(),
                Some("ThrottlingError" | "ProvisionedThroughputExceeded" | "TransactionConflict")
            )
        });
        if throttled {
            return TransactFailure::Other(Error::transient(
                format!("DynamoDB transaction on {table} was cancelled by contention; retry"),
                err,
            ));
        }
    }
    TransactFailure::Other(sdk_error("TransactWriteItems", table, err))
}

/// A row that does not deserialise is our bug or a foreign writer, never the client's: say
/// which key it was.
pub(super) fn malformed_item(
    table: &str,
    key: &str,
    err: impl Into<crate::error::BoxError>,
) -> Error {
    Error::internal(format!("malformed item in {table} at key {key}"), err)
}

/// A request the SDK refused to build (a missing required field): a bug.
pub(super) fn build_error(err: aws_sdk_dynamodb::error::BuildError) -> Error {
    Error::internal("DynamoDB request could not be built", err)
}

/// Whether a single-item request was refused only because a transaction held its item.
pub(super) fn is_transaction_conflict<E: ProvideErrorMetadata>(
    err: &SdkError<E, HttpResponse>,
) -> bool {
    err.code() == Some("TransactionConflictException")
}
