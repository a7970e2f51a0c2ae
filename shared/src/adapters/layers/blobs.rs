//! [`Blobs`] through a [`CallLayer`]; presigning passes straight through.

use async_trait::async_trait;
use bytes::Bytes;

use super::{CallLayer, Layered, through};
use crate::domain::{Page, PageRequest};
use crate::error::Result;
use crate::ports::{
    Blobs, CompletedPart, ObjectInfo, PartInfo, Presign, PresignedRequest, PutConstraints,
};

#[async_trait]
impl<L: CallLayer> Blobs for Layered<dyn Blobs, L> {
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<()> {
        through!(
            self,
            "blobs",
            Idempotent,
            put(key, body.clone(), content_type)
        )
    }
    async fn get_bounded(&self, key: &str, max_bytes: u64) -> Result<Bytes> {
        through!(self, "blobs", Idempotent, get_bounded(key, max_bytes))
    }
    async fn get_range(&self, key: &str, offset: u64, len: u64) -> Result<Bytes> {
        through!(self, "blobs", Idempotent, get_range(key, offset, len))
    }
    async fn head(&self, key: &str) -> Result<ObjectInfo> {
        through!(self, "blobs", Idempotent, head(key))
    }
    async fn delete(&self, key: &str) -> Result<()> {
        through!(self, "blobs", Idempotent, delete(key))
    }
    async fn delete_prefix(&self, prefix: &str) -> Result<u64> {
        through!(self, "blobs", Idempotent, delete_prefix(prefix))
    }
    async fn list(&self, prefix: &str, page: &PageRequest) -> Result<Page<ObjectInfo>> {
        through!(self, "blobs", Idempotent, list(prefix, page))
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
        through!(self, "blobs", Once, create_multipart(key, content_type))
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
        // The same bytes under the same number replace the part: harmless twice.
        through!(
            self,
            "blobs",
            Idempotent,
            upload_part(key, upload_id, part_number, body.clone())
        )
    }
    async fn list_parts(&self, key: &str, upload_id: &str) -> Result<Vec<PartInfo>> {
        through!(self, "blobs", Idempotent, list_parts(key, upload_id))
    }
    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> Result<()> {
        through!(
            self,
            "blobs",
            Once,
            complete_multipart(key, upload_id, parts)
        )
    }
    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<()> {
        through!(self, "blobs", Idempotent, abort_multipart(key, upload_id))
    }
}
