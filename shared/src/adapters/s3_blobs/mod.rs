//! `S3Blobs`: the `Blobs` port on Amazon S3 or any S3-compatible endpoint.
//!
//! Calls go through one `aws-sdk-s3` client built at construction; presigned URLs are signed
//! by [`presign::Presigner`] (same bytes as the SDK presigner, a fraction of its cost).

mod errors;
pub mod presign;

use std::time::{Duration, UNIX_EPOCH};

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, Delete, ObjectIdentifier};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;

use self::errors::map_sdk_error;
use self::presign::{BucketEndpoint, Operation, Presigner};
use crate::domain::{Cursor, Page, PageRequest};
use crate::error::{Error, Result};
use crate::ports::{
    Blobs, CompletedPart, ObjectInfo, PartInfo, Presign, PresignedRequest, PutConstraints,
};

/// DeleteObjects takes at most this many keys per call.
const DELETE_BATCH: usize = 1000;
/// S3's largest object (5 TiB).
const MAX_OBJECT_BYTES: u64 = 5 << 40;
/// ListObjectsV2 and ListParts return at most this many entries per call.
const LIST_MAX: u32 = 1000;

/// What the S3 adapter needs beyond the SDK configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3BlobsConfig {
    /// The bucket holding originals, derivatives and archives.
    pub bucket: String,
    /// Address the bucket in the path (`https://host/bucket/key`) rather than the host name.
    /// S3-compatible servers on an IP or `localhost` need it; AWS S3 does not.
    pub force_path_style: bool,
}

/// The `Blobs` port on S3.
#[derive(Debug)]
pub struct S3Blobs {
    client: aws_sdk_s3::Client,
    bucket: String,
    credentials: SharedCredentialsProvider,
    presigner: Presigner,
}

impl S3Blobs {
    /// Builds the client once and resolves the credentials the presigner signs with.
    ///
    /// The endpoint comes from `sdk` the standard way (`AWS_ENDPOINT_URL_S3`,
    /// `AWS_ENDPOINT_URL`, profile, or AWS's own), so the presigner addresses exactly the URL
    /// the SDK would.
    pub async fn new(sdk: &SdkConfig, config: S3BlobsConfig) -> Result<Self> {
        let s3_config = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(config.force_path_style)
            .build();
        let client = aws_sdk_s3::Client::from_conf(s3_config);
        let region = sdk
            .region()
            .ok_or_else(|| Error::internal_msg("no AWS region configured for S3"))?
            .to_string();
        let credentials = sdk
            .credentials_provider()
            .ok_or_else(|| Error::internal_msg("no AWS credentials configured for S3"))?;
        let snapshot = resolve_credentials(&credentials).await?;
        let endpoint = bucket_endpoint(&client, &config.bucket).await?;
        let presigner = Presigner::new(endpoint, &region, snapshot)?;
        Ok(Self {
            client,
            bucket: config.bucket,
            credentials,
            presigner,
        })
    }

    /// Re-resolves the credentials presigned URLs are signed with. Static and Lambda
    /// environment credentials never need it; refreshable ones (assumed roles, SSO) must be
    /// refreshed before [`S3Blobs::credentials_expiry`], or URLs stop working with them.
    pub async fn refresh_credentials(&self) -> Result<()> {
        let snapshot = resolve_credentials(&self.credentials).await?;
        self.presigner.set_credentials(snapshot)
    }

    /// When the presigner's credentials snapshot expires, if it does.
    pub fn credentials_expiry(&self) -> Option<std::time::SystemTime> {
        self.presigner.credentials_expiry()
    }

    /// The SDK client, for callers that need an S3 call the port does not offer.
    pub fn client(&self) -> &aws_sdk_s3::Client {
        &self.client
    }

    /// One ListObjectsV2 call.
    async fn list_once(
        &self,
        prefix: &str,
        max_keys: u32,
        token: Option<String>,
    ) -> Result<aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output> {
        self.client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .max_keys(i32::try_from(max_keys.min(LIST_MAX)).unwrap_or(1000))
            .set_continuation_token(token)
            .send()
            .await
            .map_err(|e| map_sdk_error("ListObjectsV2", e))
    }

    async fn delete_batch(&self, keys: Vec<String>) -> Result<u64> {
        let count = keys.len() as u64;
        let objects = keys
            .into_iter()
            .map(|key| ObjectIdentifier::builder().key(key).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::internal("building a DeleteObjects request failed", e))?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| Error::internal("building a DeleteObjects request failed", e))?;
        let output = self
            .client
            .delete_objects()
            .bucket(&self.bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| map_sdk_error("DeleteObjects", e))?;
        if let Some(failure) = output.errors().first() {
            let code = failure.code().unwrap_or_default();
            tracing::warn!(
                key = failure.key().unwrap_or_default(),
                code,
                failed = output.errors().len(),
                "S3 refused to delete objects"
            );
            let message = format!(
                "S3 DeleteObjects refused {} keys ({code})",
                output.errors().len()
            );
            return Err(
                if matches!(code, "SlowDown" | "InternalError" | "ServiceUnavailable") {
                    Error::Transient {
                        message,
                        source: None,
                    }
                } else {
                    Error::internal_msg(message)
                },
            );
        }
        Ok(count)
    }
}

/// A snapshot of what `provider` hands out now.
async fn resolve_credentials(
    provider: &SharedCredentialsProvider,
) -> Result<aws_credential_types::Credentials> {
    provider
        .provide_credentials()
        .await
        .map_err(|e| Error::internal("resolving AWS credentials failed", e))
}

/// The bucket's base URL, as the SDK's endpoint resolution addresses it: presign one GET
/// (no network call) and strip the key and query from its URL.
async fn bucket_endpoint(client: &aws_sdk_s3::Client, bucket: &str) -> Result<BucketEndpoint> {
    const PROBE: &str = "picpass-endpoint-probe";
    let config = PresigningConfig::builder()
        .start_time(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        .expires_in(Duration::from_secs(60))
        .build()
        .map_err(|e| Error::internal("presigning config rejected", e))?;
    let request = client
        .get_object()
        .bucket(bucket)
        .key(PROBE)
        .presigned(config)
        .await
        .map_err(|e| map_sdk_error("endpoint resolution", e))?;
    let url = request.uri();
    let without_query = url.split('?').next().unwrap_or(url);
    let base = without_query
        .strip_suffix(PROBE)
        .and_then(|base| base.strip_suffix('/'))
        .ok_or_else(|| Error::internal_msg("unexpected presigned URL shape from the SDK"))?;
    BucketEndpoint::parse(base)
}

fn content_length(bytes: Option<i64>) -> u64 {
    bytes.and_then(|b| u64::try_from(b).ok()).unwrap_or(0)
}

#[async_trait]
impl Blobs for S3Blobs {
    #[tracing::instrument(skip(self, body), fields(bytes = body.len()))]
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<()> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| map_sdk_error("PutObject", e))?;
        Ok(())
    }

    #[tracing::instrument(skip(self))]
    async fn get_bounded(&self, key: &str, max_bytes: u64) -> Result<Bytes> {
        let mut output = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| map_sdk_error("GetObject", e))?;
        // The size is known from the response head: refuse before reading the body, then
        // read it into one buffer of that size instead of collecting chunks and copying.
        let len = content_length(output.content_length());
        if len > max_bytes {
            return Err(crate::ports::blobs::object_too_large(len, max_bytes));
        }
        let capacity = usize::try_from(len)
            .map_err(|_| crate::ports::blobs::object_too_large(len, max_bytes))?;
        let mut body = bytes::BytesMut::with_capacity(capacity);
        while let Some(chunk) = output
            .body
            .try_next()
            .await
            .map_err(|e| Error::transient("reading an S3 object body failed", e))?
        {
            if (body.len() + chunk.len()) as u64 > len {
                return Err(Error::transient(
                    "an S3 object body was longer than its Content-Length",
                    format!("more than {len} bytes"),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }

    #[tracing::instrument(skip(self))]
    async fn get_range(&self, key: &str, offset: u64, len: u64) -> Result<Bytes> {
        if len == 0 {
            // `bytes=a-(a-1)` is not a range S3 accepts.
            return Ok(Bytes::new());
        }
        // No object is larger than S3's 5 TiB: a longer window only asks for a last byte
        // some servers cannot parse.
        let last = offset.saturating_add(len.min(MAX_OBJECT_BYTES) - 1);
        let output = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes={offset}-{last}"))
            .send()
            .await
        {
            Ok(output) => output,
            // A range starting at or past the end: the object ends before it.
            Err(e) if is_invalid_range(&e) => return Ok(Bytes::new()),
            Err(e) => return Err(map_sdk_error("GetObject", e)),
        };
        let body = output
            .body
            .collect()
            .await
            .map_err(|e| Error::transient("reading an S3 object body failed", e))?;
        Ok(body.into_bytes())
    }

    #[tracing::instrument(skip(self))]
    async fn head(&self, key: &str) -> Result<ObjectInfo> {
        let output = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| map_sdk_error("HeadObject", e))?;
        Ok(ObjectInfo {
            key: key.to_owned(),
            bytes: content_length(output.content_length()),
            etag: output.e_tag().map(str::to_owned),
        })
    }

    #[tracing::instrument(skip(self))]
    async fn delete(&self, key: &str) -> Result<()> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| map_sdk_error("DeleteObject", e))?;
        Ok(())
    }

    #[tracing::instrument(skip(self))]
    async fn delete_prefix(&self, prefix: &str) -> Result<u64> {
        let mut deleted = 0;
        let mut token = None;
        loop {
            let page = self.list_once(prefix, LIST_MAX, token).await?;
            let keys: Vec<String> = page
                .contents()
                .iter()
                .filter_map(|object| object.key().map(str::to_owned))
                .collect();
            for batch in keys.chunks(DELETE_BATCH) {
                deleted += self.delete_batch(batch.to_vec()).await?;
            }
            token = page.next_continuation_token().map(str::to_owned);
            if !page.is_truncated().unwrap_or(false) || token.is_none() {
                break;
            }
        }
        tracing::debug!(prefix, deleted, "deleted prefix");
        Ok(deleted)
    }

    #[tracing::instrument(skip(self, page), fields(limit = page.limit))]
    async fn list(&self, prefix: &str, page: &PageRequest) -> Result<Page<ObjectInfo>> {
        let limit = page.limit.max(1);
        let mut token = match &page.cursor {
            Some(cursor) => Some(cursor.decode::<String>(prefix)?),
            None => None,
        };
        let mut items = Vec::new();
        loop {
            let remaining = limit.saturating_sub(u32::try_from(items.len()).unwrap_or(u32::MAX));
            let output = self.list_once(prefix, remaining, token.take()).await?;
            items.extend(output.contents().iter().filter_map(|object| {
                Some(ObjectInfo {
                    key: object.key()?.to_owned(),
                    bytes: content_length(object.size()),
                    etag: object.e_tag().map(str::to_owned),
                })
            }));
            let next = output
                .next_continuation_token()
                .filter(|_| output.is_truncated().unwrap_or(false))
                .map(str::to_owned);
            match next {
                Some(next) if items.len() < limit as usize => token = Some(next),
                Some(next) => {
                    return Ok(Page {
                        items,
                        next: Some(Cursor::encode(prefix, &next)?),
                    });
                }
                None => return Ok(Page { items, next: None }),
            }
        }
    }

    fn presign_put(
        &self,
        key: &str,
        constraints: &PutConstraints,
        presign: Presign,
    ) -> Result<PresignedRequest> {
        let checksum = STANDARD.encode(constraints.sha256);
        self.presigner.presign(
            key,
            Operation::PutObject {
                content_type: &constraints.content_type,
                content_length: constraints.content_length,
                checksum_sha256: &checksum,
            },
            presign.signed_at,
            presign.expires_in_secs,
        )
    }

    fn presign_get(
        &self,
        key: &str,
        content_disposition: Option<&str>,
        presign: Presign,
    ) -> Result<PresignedRequest> {
        self.presigner.presign(
            key,
            Operation::GetObject {
                content_disposition,
            },
            presign.signed_at,
            presign.expires_in_secs,
        )
    }

    #[tracing::instrument(skip(self))]
    async fn create_multipart(&self, key: &str, content_type: &str) -> Result<String> {
        let output = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .send()
            .await
            .map_err(|e| map_sdk_error("CreateMultipartUpload", e))?;
        output
            .upload_id()
            .map(str::to_owned)
            .ok_or_else(|| Error::internal_msg("S3 returned no upload id"))
    }

    fn presign_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        content_length: u64,
        presign: Presign,
    ) -> Result<PresignedRequest> {
        check_part_number(part_number)?;
        self.presigner.presign(
            key,
            Operation::UploadPart {
                upload_id,
                part_number,
                content_length,
            },
            presign.signed_at,
            presign.expires_in_secs,
        )
    }

    #[tracing::instrument(skip(self, body), fields(bytes = body.len()))]
    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: Bytes,
    ) -> Result<String> {
        let number = check_part_number(part_number)?;
        let output = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| map_sdk_error("UploadPart", e))?;
        output
            .e_tag()
            .map(str::to_owned)
            .ok_or_else(|| Error::internal_msg("S3 returned no ETag for the part"))
    }

    #[tracing::instrument(skip(self))]
    async fn list_parts(&self, key: &str, upload_id: &str) -> Result<Vec<PartInfo>> {
        let mut parts = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let output = self
                .client
                .list_parts()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .max_parts(i32::try_from(LIST_MAX).unwrap_or(1000))
                .set_part_number_marker(marker.take())
                .send()
                .await
                .map_err(|e| map_sdk_error("ListParts", e))?;
            parts.extend(output.parts().iter().filter_map(|part| {
                Some(PartInfo {
                    part_number: u32::try_from(part.part_number()?).ok()?,
                    etag: part.e_tag().map(str::to_owned),
                    bytes: content_length(part.size()),
                })
            }));
            match output.next_part_number_marker() {
                Some(next) if output.is_truncated().unwrap_or(false) => {
                    marker = Some(next.to_owned());
                }
                _ => break,
            }
        }
        // S3 lists parts in order; S3-compatible servers need not (s3s-fs does not).
        parts.sort_by_key(|part| part.part_number);
        Ok(parts)
    }

    #[tracing::instrument(skip(self, parts), fields(parts = parts.len()))]
    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> Result<()> {
        let completed = parts
            .iter()
            .map(|part| {
                Ok(aws_sdk_s3::types::CompletedPart::builder()
                    .part_number(check_part_number(part.part_number)?)
                    .e_tag(&part.etag)
                    .build())
            })
            .collect::<Result<Vec<_>>>()?;
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(completed))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| map_sdk_error("CompleteMultipartUpload", e))?;
        Ok(())
    }

    #[tracing::instrument(skip(self))]
    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<()> {
        match self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
            .map_err(|e| map_sdk_error("AbortMultipartUpload", e))
        {
            Err(err) if err.is_not_found() => Ok(()),
            other => other.map(|_| ()),
        }
    }
}

/// S3's answer to a range that starts past the object's end (`416 InvalidRange`).
fn is_invalid_range<E: ProvideErrorMetadata>(err: &SdkError<E>) -> bool {
    match err {
        SdkError::ServiceError(service) => {
            service.raw().status().as_u16() == 416 || service.err().code() == Some("InvalidRange")
        }
        _ => false,
    }
}

/// S3 part numbers are 1 to 10,000.
fn check_part_number(part_number: u32) -> Result<i32> {
    match i32::try_from(part_number) {
        Ok(n) if (1..=10_000).contains(&n) => Ok(n),
        _ => Err(Error::invalid(
            "invalid_part_number",
            "part numbers are 1 to 10000",
        )),
    }
}

#[cfg(test)]
mod sdk_equivalence_tests;
