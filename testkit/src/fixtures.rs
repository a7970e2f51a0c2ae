//! Adapters on real storage, each owning what must stay alive while a test runs.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use shared::adapters::fs_blobs::{self, FsBlobs};
use shared::adapters::s3_blobs::{S3Blobs, S3BlobsConfig};
use shared::ports::Blobs;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// An [`FsBlobs`] in a temporary directory, with its presigned-URL server on loopback.
/// Dropping it stops the server and removes the directory.
#[derive(Debug)]
pub struct FsBlobsFixture {
    blobs: Arc<FsBlobs>,
    server: JoinHandle<()>,
    dir: tempfile::TempDir,
}

impl FsBlobsFixture {
    /// The port under test.
    pub fn blobs(&self) -> &dyn Blobs {
        self.blobs.as_ref()
    }

    /// The concrete store, for filesystem-specific assertions.
    pub fn store(&self) -> &FsBlobs {
        &self.blobs
    }

    /// The store's root directory.
    pub fn root(&self) -> &std::path::Path {
        self.dir.path()
    }
}

impl Drop for FsBlobsFixture {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Starts an [`FsBlobs`] on a fresh temporary directory, served on `127.0.0.1:<free port>`
/// (bound first, so the presigned URLs carry the real port).
pub async fn fs_blobs() -> FsBlobsFixture {
    let dir = tempfile::tempdir().expect("temporary directory for FsBlobs");
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0 for the FsBlobs server");
    let address = listener.local_addr().expect("bound address");
    // A fresh random-enough key per fixture: tests never share signatures.
    let key = Sha256::digest(ulid::Ulid::generate().to_string());
    let blobs = Arc::new(
        FsBlobs::open(dir.path(), &format!("http://{address}"), &key).expect("open FsBlobs"),
    );
    let server = tokio::spawn(fs_blobs::http::serve(listener, Arc::clone(&blobs)));
    FsBlobsFixture { blobs, server, dir }
}

/// An `S3Blobs` adapter on its own fresh s3s-fs server.
#[derive(Debug)]
pub struct S3BlobsFixture {
    /// The adapter under test.
    adapter: S3Blobs,
    /// Kept alive as long as the adapter is used.
    server: crate::s3::S3Server,
}

impl S3BlobsFixture {
    /// The port under test.
    pub fn blobs(&self) -> &dyn Blobs {
        &self.adapter
    }

    /// The concrete adapter, for S3-specific calls.
    pub fn adapter(&self) -> &S3Blobs {
        &self.adapter
    }

    /// The server the adapter talks to.
    pub fn server(&self) -> &crate::s3::S3Server {
        &self.server
    }
}

/// Starts a server and builds an `S3Blobs` against it through the standard endpoint
/// setting, path-style as an IP endpoint needs.
pub async fn s3_blobs() -> S3BlobsFixture {
    let server = crate::s3::S3Server::start().await;
    let blobs = S3Blobs::new(
        &server.sdk_config().await,
        S3BlobsConfig {
            bucket: server.bucket().to_owned(),
            force_path_style: true,
        },
    )
    .await
    .expect("S3Blobs builds against s3s-fs");
    S3BlobsFixture {
        adapter: blobs,
        server,
    }
}
