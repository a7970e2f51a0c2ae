//! Makes s3s-fs answer multipart uploads as AWS S3 does.
//!
//! s3s-fs keeps no record of finished uploads, so aborting twice is `403 AccessDenied` and
//! listing the parts of an aborted upload is an empty list. AWS answers both with
//! `404 NoSuchUpload`, and the S3 adapter relies on that (aborting an unknown upload is not
//! an error; listing its parts is `NotFound`). This wrapper remembers the uploads it saw
//! created and still open, answers `NoSuchUpload` for any other id, and passes every
//! request through to s3s-fs unchanged otherwise.
//!
//! s3s-fs also lists parts without their ETags, which AWS always includes (an archive job
//! that restarts completes its upload with the listed ETags). The wrapper remembers the ETag
//! each part upload answered and puts it back into the listing.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};
use s3s_fs::FileSystem;

/// s3s-fs with AWS's answers for unknown multipart upload ids.
#[derive(Debug)]
pub(crate) struct AwsUploadIds {
    fs: FileSystem,
    /// Requests served, every operation (read by benchmarks through `S3Server::requests`).
    requests: Arc<AtomicU64>,
    /// Written through a completion or an abort, read through a part upload or a listing:
    /// S3 finishes an upload atomically, so a racing completion, part or listing sees it
    /// either open or gone (`NoSuchUpload`), never half-done (s3s-fs alone answers
    /// `AccessDenied` while the winner is still moving the parts away).
    finishing: tokio::sync::RwLock<()>,
    open: Mutex<HashSet<String>>,
    /// ETag of each part stored, by (upload id, part number).
    part_etags: Mutex<HashMap<(String, i32), ETag>>,
}

impl AwsUploadIds {
    pub(crate) fn new(fs: FileSystem, requests: Arc<AtomicU64>) -> Self {
        Self {
            fs,
            requests,
            finishing: tokio::sync::RwLock::new(()),
            open: Mutex::new(HashSet::new()),
            part_etags: Mutex::new(HashMap::new()),
        }
    }

    fn ensure_open(&self, upload_id: &str) -> S3Result<()> {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if open.contains(upload_id) {
            Ok(())
        } else {
            Err(s3_error!(
                NoSuchUpload,
                "The specified upload does not exist."
            ))
        }
    }

    fn set_open(&self, upload_id: &str, is_open: bool) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if is_open {
            open.insert(upload_id.to_owned());
        } else {
            open.remove(upload_id);
            self.part_etags
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .retain(|(id, _), _| id != upload_id);
        }
    }
}

/// The `S3` impl: the listed operations pass straight to s3s-fs, the rest are written out.
/// (One macro for the whole impl, so `async_trait` sees the generated methods.)
macro_rules! impl_s3 {
    (pass_through { $($method:ident($input:ty) -> $output:ty;)+ } $($custom:item)+) => {
        #[async_trait::async_trait]
        impl S3 for AwsUploadIds {
            $(
                async fn $method(&self, req: S3Request<$input>) -> S3Result<S3Response<$output>> {
                    self.requests.fetch_add(1, Ordering::Relaxed);
                    self.fs.$method(req).await
                }
            )+
            $($custom)+
        }
    };
}

impl_s3! {
    pass_through {
        create_bucket(CreateBucketInput) -> CreateBucketOutput;
        head_bucket(HeadBucketInput) -> HeadBucketOutput;
        delete_bucket(DeleteBucketInput) -> DeleteBucketOutput;
        list_buckets(ListBucketsInput) -> ListBucketsOutput;
        get_bucket_location(GetBucketLocationInput) -> GetBucketLocationOutput;
        put_object(PutObjectInput) -> PutObjectOutput;
        get_object(GetObjectInput) -> GetObjectOutput;
        head_object(HeadObjectInput) -> HeadObjectOutput;
        copy_object(CopyObjectInput) -> CopyObjectOutput;
        delete_object(DeleteObjectInput) -> DeleteObjectOutput;
        delete_objects(DeleteObjectsInput) -> DeleteObjectsOutput;
        list_objects(ListObjectsInput) -> ListObjectsOutput;
        list_objects_v2(ListObjectsV2Input) -> ListObjectsV2Output;
        upload_part_copy(UploadPartCopyInput) -> UploadPartCopyOutput;
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let response = self.fs.create_multipart_upload(req).await?;
        if let Some(upload_id) = &response.output.upload_id {
            self.set_open(upload_id, true);
        }
        Ok(response)
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let _open = self.finishing.read().await;
        self.ensure_open(&req.input.upload_id)?;
        let part = (req.input.upload_id.clone(), req.input.part_number);
        let response = self.fs.upload_part(req).await?;
        if let Some(etag) = &response.output.e_tag {
            self.part_etags
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(part, etag.clone());
        }
        Ok(response)
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let _open = self.finishing.read().await;
        self.ensure_open(&req.input.upload_id)?;
        let upload_id = req.input.upload_id.clone();
        let mut response = self.fs.list_parts(req).await?;
        let etags = self
            .part_etags
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for part in response.output.parts.iter_mut().flatten() {
            if part.e_tag.is_none()
                && let Some(number) = part.part_number
            {
                part.e_tag = etags.get(&(upload_id.clone(), number)).cloned();
            }
        }
        Ok(response)
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let upload_id = req.input.upload_id.clone();
        let _finishing = self.finishing.write().await;
        self.ensure_open(&upload_id)?;
        let response = self.fs.complete_multipart_upload(req).await?;
        self.set_open(&upload_id, false);
        Ok(response)
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let upload_id = req.input.upload_id.clone();
        let _finishing = self.finishing.write().await;
        self.ensure_open(&upload_id)?;
        let response = self.fs.abort_multipart_upload(req).await?;
        self.set_open(&upload_id, false);
        Ok(response)
    }
}
