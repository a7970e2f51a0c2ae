//! Adapters on real storage, each owning what must stay alive while a test runs.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use shared::adapters::fs_blobs::{self, FsBlobs};
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
