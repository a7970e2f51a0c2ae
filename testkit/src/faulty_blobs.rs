//! Storage that fails on purpose around a real store, for fault-injection tests: the one
//! wrapper of the `Blobs` port, so a test says only which calls fail, and how.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use shared::domain::{Page, PageRequest};
use shared::error::{Error, Result};
use shared::ports::blobs::{CompletedPart, ObjectInfo, PartInfo, PresignedRequest, PutConstraints};
use shared::ports::{Blobs, Presign};

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

/// `inner`, with the calls `rule` picks failing transiently.
pub struct FaultyBlobs {
    inner: Arc<dyn Blobs>,
    rule: Box<dyn Fn(BlobCall) -> Option<Fault> + Send + Sync>,
}

impl fmt::Debug for FaultyBlobs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultyBlobs")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl FaultyBlobs {
    /// Wraps `inner`; `rule` decides, call by call, whether and how it fails.
    pub fn new(
        inner: Arc<dyn Blobs>,
        rule: impl Fn(BlobCall) -> Option<Fault> + Send + Sync + 'static,
    ) -> Self {
        Self {
            inner,
            rule: Box::new(rule),
        }
    }

    async fn call<T>(&self, call: BlobCall, work: impl Future<Output = Result<T>>) -> Result<T> {
        match (self.rule)(call) {
            Some(Fault::Before) => Err(injected()),
            Some(Fault::After) => {
                work.await?;
                Err(injected())
            }
            None => work.await,
        }
    }
}

#[async_trait]
impl Blobs for FaultyBlobs {
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<()> {
        self.call(BlobCall::Put, self.inner.put(key, body, content_type))
            .await
    }
    async fn get_bounded(&self, key: &str, max_bytes: u64) -> Result<Bytes> {
        self.call(BlobCall::Get, self.inner.get_bounded(key, max_bytes))
            .await
    }
    async fn get_range(&self, key: &str, offset: u64, len: u64) -> Result<Bytes> {
        self.call(BlobCall::GetRange, self.inner.get_range(key, offset, len))
            .await
    }
    async fn head(&self, key: &str) -> Result<ObjectInfo> {
        self.call(BlobCall::Head, self.inner.head(key)).await
    }
    async fn delete(&self, key: &str) -> Result<()> {
        self.call(BlobCall::Delete, self.inner.delete(key)).await
    }
    async fn delete_prefix(&self, prefix: &str) -> Result<u64> {
        self.call(BlobCall::DeletePrefix, self.inner.delete_prefix(prefix))
            .await
    }
    async fn list(&self, prefix: &str, page: &PageRequest) -> Result<Page<ObjectInfo>> {
        self.call(BlobCall::List, self.inner.list(prefix, page))
            .await
    }
    fn presign_put(
        &self,
        key: &str,
        constraints: &PutConstraints,
        presign: Presign,
    ) -> Result<PresignedRequest> {
        self.inner.presign_put(key, constraints, presign)
    }
    fn presign_get(
        &self,
        key: &str,
        content_disposition: Option<&str>,
        presign: Presign,
    ) -> Result<PresignedRequest> {
        self.inner.presign_get(key, content_disposition, presign)
    }
    async fn create_multipart(&self, key: &str, content_type: &str) -> Result<String> {
        self.call(
            BlobCall::CreateMultipart,
            self.inner.create_multipart(key, content_type),
        )
        .await
    }
    fn presign_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        content_length: u64,
        presign: Presign,
    ) -> Result<PresignedRequest> {
        self.inner
            .presign_part(key, upload_id, part_number, content_length, presign)
    }
    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: Bytes,
    ) -> Result<String> {
        self.call(
            BlobCall::UploadPart,
            self.inner.upload_part(key, upload_id, part_number, body),
        )
        .await
    }
    async fn list_parts(&self, key: &str, upload_id: &str) -> Result<Vec<PartInfo>> {
        self.call(BlobCall::ListParts, self.inner.list_parts(key, upload_id))
            .await
    }
    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> Result<()> {
        self.call(
            BlobCall::CompleteMultipart,
            self.inner.complete_multipart(key, upload_id, parts),
        )
        .await
    }
    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<()> {
        self.call(
            BlobCall::AbortMultipart,
            self.inner.abort_multipart(key, upload_id),
        )
        .await
    }
}
