//! Storage that fails on purpose around a real store, for fault-injection tests: the port's
//! one wrapper (`shared::adapters::layers::Layered`) with a layer that fails the calls a
//! test's rule picks, so a test says only which calls fail, and how.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use shared::adapters::layers::{Call, CallLayer, Layered};
use shared::error::{Error, Result};
use shared::ports::Blobs;

/// A call to the store, as a fault rule sees it (signing never fails: it is local).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobCall {
    /// `put`
    Put,
    /// `get` / `get_bounded`
    Get,
    /// `get_range`
    GetRange,
    /// `head`
    Head,
    /// `delete`
    Delete,
    /// `delete_prefix`
    DeletePrefix,
    /// `list`
    List,
    /// `create_multipart`
    CreateMultipart,
    /// `upload_part`
    UploadPart,
    /// `list_parts`
    ListParts,
    /// `complete_multipart`
    CompleteMultipart,
    /// `abort_multipart`
    AbortMultipart,
}

/// How a call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Before it reaches the store: nothing happened.
    Before,
    /// After the store did it: it happened, but the caller cannot know.
    After,
}

/// The transient error an injected fault answers with.
pub fn injected() -> Error {
    Error::transient("storage unavailable", std::io::Error::other("injected"))
}

impl BlobCall {
    /// The call a port method is (`get` reaches the store as `get_bounded`).
    fn of(method: &str) -> Option<Self> {
        Some(match method {
            "put" => Self::Put,
            "get_bounded" => Self::Get,
            "get_range" => Self::GetRange,
            "head" => Self::Head,
            "delete" => Self::Delete,
            "delete_prefix" => Self::DeletePrefix,
            "list" => Self::List,
            "create_multipart" => Self::CreateMultipart,
            "upload_part" => Self::UploadPart,
            "list_parts" => Self::ListParts,
            "complete_multipart" => Self::CompleteMultipart,
            "abort_multipart" => Self::AbortMultipart,
            _ => return None,
        })
    }
}

/// The layer: a rule deciding, call by call, whether and how it fails.
pub struct BlobRule(Box<dyn Fn(BlobCall) -> Option<Fault> + Send + Sync>);

impl fmt::Debug for BlobRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BlobRule")
    }
}

impl CallLayer for BlobRule {
    async fn around<T, F, Fut>(&self, call: Call, mut attempt: F) -> Result<T>
    where
        T: Send,
        F: FnMut() -> Fut + Send,
        Fut: Future<Output = Result<T>> + Send,
    {
        match BlobCall::of(call.method).and_then(|c| (self.0)(c)) {
            Some(Fault::Before) => Err(injected()),
            Some(Fault::After) => {
                attempt().await?;
                Err(injected())
            }
            None => attempt().await,
        }
    }
}

/// `inner`, with the calls `rule` picks failing transiently (signing never fails: it is
/// local).
pub type FaultyBlobs = Layered<dyn Blobs, BlobRule>;

/// Wraps `inner`; `rule` decides, call by call, whether and how it fails.
pub fn faulty_blobs(
    inner: Arc<dyn Blobs>,
    rule: impl Fn(BlobCall) -> Option<Fault> + Send + Sync + 'static,
) -> FaultyBlobs {
    Layered::new(inner, BlobRule(Box::new(rule)))
}
