//! Mapping of DynamoDB SDK failures into `shared::Error`, in one place.

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;

use crate::adapters::aws_errors;
use crate::error::Error;

/// What a failed call means to the adapter: a failed condition is `Conflict`; the rest is classified by the shared AWS classifier
/// (`crate::adapters::aws_errors`).
pub(super) fn sdk_error<E>(
    operation: &'static str,
    table: &str,
    err: SdkError<E, HttpResponse>,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    aws_errors::map_sdk_error("DynamoDB", operation, table, err, |_, code| match code {
        "ConditionalCheckFailedException" => Some(Error::conflict(
            "conflict",
            "the item was changed or already exists",
        )),
        _ => None,
    })
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
