//! A loopback S3: s3s-fs served in-process on 127.0.0.1, with SigV4 checked against one
//! static key pair, so presigned URLs, expiry and signed headers are verified for real.
//!
//! One correction sits between the HTTP service and s3s-fs ([`AwsUploadIds`]): s3s-fs
//! answers an unknown or finished multipart upload id with `AccessDenied` (abort, part
//! upload, completion) or an empty part list, where AWS S3 answers `404 NoSuchUpload`; and
//! a completion or abort is finished atomically, as S3 does, so a racing one sees the upload
//! open or gone. Everything else is s3s-fs as published.

mod upload_ids;

use upload_ids::AwsUploadIds;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use s3s_fs::FileSystem;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

/// Access key the server accepts (and nothing else).
pub const ACCESS_KEY: &str = "AKIDPICPASSTEST";
/// Secret key the server accepts.
pub const SECRET_KEY: &str = "picpass-test-secret-key";
/// Region every test client signs for.
pub const REGION: &str = "us-east-1";
/// The bucket created at start.
pub const BUCKET: &str = "picpass-test";

/// A running s3s-fs server. Dropping it stops the server (the accept loop and every open
/// connection) and deletes its data directory.
#[derive(Debug)]
pub struct S3Server {
    addr: SocketAddr,
    server: JoinHandle<()>,
    requests: Arc<AtomicU64>,
    // Declared after `server` so the files outlive the tasks that may still touch them.
    _dir: tempfile::TempDir,
}

impl S3Server {
    /// Starts a server on a free loopback port with [`BUCKET`] already created.
    ///
    /// Panics with a message if anything fails: it is test support, and a test that cannot
    /// start its server must fail loudly rather than skip.
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("create a temp dir for s3s-fs");
        let fs = FileSystem::new(dir.path()).expect("s3s-fs opens its root directory");
        let requests = Arc::new(AtomicU64::new(0));
        let service = {
            let mut builder = S3ServiceBuilder::new(AwsUploadIds::new(fs, Arc::clone(&requests)));
            builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
            builder.build()
        };
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("listener address");

        let server = tokio::spawn(async move {
            let http = ConnBuilder::new(TokioExecutor::new());
            // Connections live in this set, so aborting the accept loop drops (and aborts)
            // them too: no request outlives the fixture.
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((socket, _)) = accepted else { continue };
                        let conn = http
                            .serve_connection(TokioIo::new(socket), service.clone())
                            .into_owned();
                        connections.spawn(async move {
                            // A client hanging up mid-request is not the server's failure.
                            let _ = conn.await;
                        });
                    }
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        });

        let this = Self {
            addr,
            server,
            requests,
            _dir: dir,
        };
        this.client()
            .await
            .create_bucket()
            .bucket(BUCKET)
            .send()
            .await
            .expect("create the test bucket on s3s-fs");
        this
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// S3 requests served so far (every operation, the bucket's creation included).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The bucket created at start.
    pub fn bucket(&self) -> &str {
        BUCKET
    }

    /// The static credentials the server accepts.
    pub fn credentials(&self) -> Credentials {
        Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "picpass-testkit")
    }

    /// An SDK configuration pointing at this server through the standard endpoint setting,
    /// with explicit credentials and region so no profile or environment can leak in.
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(self.endpoint_url())
            .credentials_provider(self.credentials())
            .load()
            .await
    }

    /// A plain S3 client for this server (path-style, as an IP endpoint requires).
    pub async fn client(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&self.sdk_config().await)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.server.abort();
    }
}
