//! The blob port: object storage for originals, derivatives and archives, including the
//! presigned requests browsers use to upload and download without passing through the API.

use async_trait::async_trait;
use bytes::Bytes;

use crate::domain::{Page, PageRequest, Timestamp};
use crate::error::Result;

/// What a presigned PUT binds: the browser must send exactly this type, length and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutConstraints {
    /// `Content-Type` the client must send.
    pub content_type: String,
    /// `Content-Length` the client must send.
    pub content_length: u64,
    /// SHA-256 of the body; sent as base64 in `x-amz-checksum-sha256` and verified.
    pub sha256: [u8; 32],
}

/// When a presigned request is signed and how long it lives (storage refuses it after).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presign {
    /// The signing time (normally now; tests sign in the past to see expiry).
    pub signed_at: Timestamp,
    /// Lifetime in seconds (1 to 604,800).
    pub expires_in_secs: u64,
}

impl Presign {
    /// Signed now, valid for `expires_in_secs`.
    pub fn now(expires_in_secs: u64) -> Self {
        Self {
            signed_at: Timestamp::now(),
            expires_in_secs,
        }
    }

    /// When the request stops working.
    pub fn expires_at(&self) -> Timestamp {
        self.signed_at
            .plus_secs(i64::try_from(self.expires_in_secs).unwrap_or(i64::MAX))
    }
}

/// A request a client can make directly against storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedRequest {
    /// `PUT` or `GET`.
    pub method: String,
    /// The full URL, signature included.
    pub url: String,
    /// Headers the client must send exactly (name, value), e.g. `content-type`,
    /// `x-amz-checksum-sha256`. `content-length` is listed too: browsers set it themselves.
    pub headers: Vec<(String, String)>,
    /// When storage starts refusing it.
    pub expires_at: Timestamp,
}

/// What storage knows of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Its key.
    pub key: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Entity tag, when the store reports one.
    pub etag: Option<String>,
}

/// A part already stored in a multipart upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartInfo {
    /// 1-based part number.
    pub part_number: u32,
    /// Entity tag, when the store reports one (s3s-fs does not).
    pub etag: Option<String>,
    /// Size in bytes.
    pub bytes: u64,
}

/// A part named in a multipart completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedPart {
    /// 1-based part number.
    pub part_number: u32,
    /// The `ETag` storage returned when the part was uploaded.
    pub etag: String,
}

/// The `TooLarge` of an object over a read's bound.
pub fn object_too_large(bytes: u64, max_bytes: u64) -> crate::error::Error {
    crate::error::Error::too_large(
        "object_too_large",
        format!("the object has {bytes} bytes; at most {max_bytes} are read"),
    )
}

/// Object storage.
#[async_trait]
pub trait Blobs: Send + Sync + std::fmt::Debug {
    /// Writes an object whole (atomically: readers see the old or the new bytes).
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<()>;
    /// Reads an object whole into one buffer of its size, if it has at most `max_bytes`:
    /// the size is checked before anything is read or allocated (`TooLarge`, code
    /// `object_too_large`, otherwise). `NotFound` if absent.
    async fn get_bounded(&self, key: &str, max_bytes: u64) -> Result<Bytes>;
    /// Reads an object whole, whatever its size (for objects this service wrote itself);
    /// `NotFound` if absent.
    async fn get(&self, key: &str) -> Result<Bytes> {
        self.get_bounded(key, u64::MAX).await
    }
    /// Bytes `offset .. offset + len` of an object, fewer (possibly none) where the object
    /// ends first; `NotFound` if absent. Memory is bounded by `len` and the object's size,
    /// so large objects can be streamed a window at a time.
    async fn get_range(&self, key: &str, offset: u64, len: u64) -> Result<Bytes>;
    /// Size and tag of an object; `NotFound` if absent.
    async fn head(&self, key: &str) -> Result<ObjectInfo>;
    /// Deletes an object; deleting a missing one is not an error.
    async fn delete(&self, key: &str) -> Result<()>;
    /// Deletes every object whose key starts with `prefix`; returns how many.
    async fn delete_prefix(&self, prefix: &str) -> Result<u64>;
    /// A page of objects under `prefix`, in key order.
    async fn list(&self, prefix: &str, page: &PageRequest) -> Result<Page<ObjectInfo>>;

    /// A PUT that only succeeds with exactly the given type, length and SHA-256.
    fn presign_put(
        &self,
        key: &str,
        constraints: &PutConstraints,
        presign: Presign,
    ) -> Result<PresignedRequest>;
    /// A GET; with `content_disposition`, the response carries that header (download name).
    fn presign_get(
        &self,
        key: &str,
        content_disposition: Option<&str>,
        presign: Presign,
    ) -> Result<PresignedRequest>;

    /// Starts a multipart upload; returns its id.
    async fn create_multipart(&self, key: &str, content_type: &str) -> Result<String>;
    /// A presigned PUT of one part, binding its exact length: a body of any other length
    /// is refused (the server knows the file's size and its part size).
    fn presign_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        content_length: u64,
        presign: Presign,
    ) -> Result<PresignedRequest>;
    /// Uploads one part from the server side (archives); returns its ETag.
    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: Bytes,
    ) -> Result<String>;
    /// Parts stored so far, by part number; `NotFound` for an unknown upload.
    async fn list_parts(&self, key: &str, upload_id: &str) -> Result<Vec<PartInfo>>;
    /// Assembles the parts into the object.
    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> Result<()>;
    /// Abandons the upload and its parts; aborting an unknown upload is not an error.
    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<()>;
}
