//! Harness for the photographer API's handler tests: the real handlers on `SqliteCatalog`
//! (temp file), `FsBlobs` (temp dir, with its presigned-URL server on 127.0.0.1:0) and
//! `MemoryQueue`s, fed requests built from the sample events in `events/<function>/`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lambda_http::http::Method;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::Value;
use shared::adapters::SqliteCatalog;
use shared::adapters::fs_blobs::{self, FsBlobs};
use shared::adapters::memory_queue::MemoryQueue;
use shared::adapters::s3_blobs::{S3Blobs, S3BlobsConfig};
use shared::codes_vault::CodeVault;
use shared::http::{Router, events_api, gallery_api, presign_api};
use shared::ports::Blobs;
use shared::services::{ApiLimits, Deps};
use shared::viewer_tokens::ViewerTokenKeys;

use crate::openapi::Contract;
use crate::s3::S3Server;

/// The ids the sample events use in their paths (replaced by real ones in tests).
pub const SAMPLE_EVENT_ID: &str = "01JDQ0EVENT000000000000000";
/// The sample photo id.
pub const SAMPLE_PHOTO_ID: &str = "01JDQ0PH0T0000000000000000";
/// The sample job id.
pub const SAMPLE_JOB_ID: &str = "01JDQ0J0B00000000000000000";
/// The sample access code.
pub const SAMPLE_CODE: &str = "7KQ2-M9XD-4PZ0";

/// Which function's handler a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `functions/presign`.
    Presign,
    /// `functions/events`.
    Events,
    /// `functions/gallery`.
    Gallery,
}

impl Function {
    fn dir(self) -> &'static str {
        match self {
            Self::Presign => "presign",
            Self::Events => "events",
            Self::Gallery => "gallery",
        }
    }
}

/// A photographer as the JWT authorizer would describe them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photographer {
    /// JWT `sub`.
    pub sub: String,
    /// JWT `email`.
    pub email: String,
    /// JWT `cognito:username`.
    pub username: String,
}

impl Photographer {
    /// A photographer with a fresh `sub` and the given username.
    pub fn new(username: &str) -> Self {
        Self {
            sub: format!("{}-sub", ulid::Ulid::generate().to_string().to_lowercase()),
            email: format!("{username}@example.com"),
            username: username.to_owned(),
        }
    }
}

/// The real handlers over fresh local storage. Dropping it stops the blob server and
/// removes the files.
#[derive(Debug)]
pub struct ApiHarness {
    /// What the handlers get.
    pub deps: Deps,
    /// The processor's queue (to see retries and derivative jobs).
    pub process_queue: Arc<MemoryQueue>,
    /// The jobs queue (archives).
    pub jobs_queue: Arc<MemoryQueue>,
    server: Option<tokio::task::JoinHandle<()>>,
    // Kept alive for the harness's life; dropped (stopped) with it.
    _s3: Option<S3Server>,
    _moto: Option<crate::moto::MotoServer>,
    _dir: tempfile::TempDir,
}

/// Which blob adapter the harness runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// `FsBlobs` with its presigned-URL server on loopback.
    Fs,
    /// `S3Blobs` against an in-process s3s-fs server on loopback.
    S3,
    /// `S3Blobs` on s3s-fs and `DynamoCatalog` on `moto_server`, both on loopback: the
    /// storage the functions run on in AWS.
    Aws,
}

impl Drop for ApiHarness {
    fn drop(&mut self) {
        if let Some(server) = &self.server {
            server.abort();
        }
    }
}

impl ApiHarness {
    /// With the default limits.
    pub async fn start() -> Self {
        Self::with_limits(ApiLimits::default()).await
    }

    /// With the given limits, on FsBlobs.
    pub async fn with_limits(limits: ApiLimits) -> Self {
        Self::start_with(Storage::Fs, limits).await
    }

    /// With the given blob adapter and limits.
    pub async fn start_with(storage: Storage, limits: ApiLimits) -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let (catalog, moto): (Arc<dyn shared::ports::Catalog>, _) = match storage {
            Storage::Aws => {
                let moto = crate::moto::MotoServer::start()
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let config = crate::aws::sdk_config(moto.endpoint_url()).await;
                let catalog = shared::adapters::DynamoCatalog::from_sdk_config(
                    &config,
                    shared::adapters::dynamo_catalog::DynamoTables::with_prefix("picpass-api-"),
                );
                catalog
                    .create_tables()
                    .await
                    .expect("creating the catalog tables on moto");
                (Arc::new(catalog), Some(moto))
            }
            Storage::Fs | Storage::S3 => (
                Arc::new(
                    SqliteCatalog::open(dir.path().join("catalog.sqlite3"))
                        .expect("open the SQLite catalog"),
                ),
                None,
            ),
        };
        let (blobs, server, s3): (Arc<dyn Blobs>, _, _) = match storage {
            Storage::Fs => {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind the blob server");
                let addr = listener.local_addr().expect("blob server address");
                let blobs = Arc::new(
                    FsBlobs::open(
                        dir.path().join("blobs"),
                        &format!("http://{addr}/blobs"),
                        &[42u8; 32],
                    )
                    .expect("open FsBlobs"),
                );
                let server = tokio::spawn(fs_blobs::http::serve(listener, Arc::clone(&blobs)));
                (blobs, Some(server), None)
            }
            Storage::S3 | Storage::Aws => {
                let s3 = S3Server::start().await;
                let blobs = S3Blobs::new(
                    &s3.sdk_config().await,
                    S3BlobsConfig {
                        bucket: s3.bucket().to_owned(),
                        force_path_style: true,
                    },
                )
                .await
                .expect("S3Blobs on s3s-fs");
                (Arc::new(blobs), None, Some(s3))
            }
        };
        let process_queue = Arc::new(MemoryQueue::new(Duration::from_secs(30), 5));
        let jobs_queue = Arc::new(MemoryQueue::new(Duration::from_secs(30), 5));
        let deps = Deps {
            catalog,
            blobs,
            process_queue: Some(process_queue.clone()),
            jobs_queue: Some(jobs_queue.clone()),
            vault: Some(CodeVault::from_secret(&[9u8; 32]).expect("vault secret")),
            viewer_tokens: Some(
                ViewerTokenKeys::from_secrets(&[11u8; 32], &[]).expect("viewer-token secret"),
            ),
            behind_cloudfront: false,
            limits,
            bucket: "picpass-test".to_owned(),
        };
        Self {
            deps,
            process_queue,
            jobs_queue,
            server,
            _s3: s3,
            _moto: moto,
            _dir: dir,
        }
    }

    /// Sends `req` to `function`'s handler; returns the status and the JSON body
    /// (`Value::Null` for an empty body).
    pub async fn call(&self, function: Function, req: Request) -> (u16, Value) {
        let method = req.method().clone();
        let path = req.raw_http_path().to_owned();
        let (response, pattern) = match function {
            Function::Presign => (
                shared::http::handle::<presign_api::PresignApi>(&self.deps, req).await,
                pattern_of(presign_api::router(), &method, &path),
            ),
            Function::Events => (
                shared::http::handle::<events_api::EventsApi>(&self.deps, req).await,
                pattern_of(events_api::router(), &method, &path),
            ),
            Function::Gallery => (
                shared::http::handle::<gallery_api::GalleryApi>(&self.deps, req).await,
                pattern_of(gallery_api::router(), &method, &path),
            ),
        };
        let (status, body) = split(response);
        // Every response a handler test sees must be what openapi.yaml documents.
        if let Some(pattern) = pattern
            && let Err(problem) =
                Contract::get().check_response(method.as_str(), pattern, status, &body)
        {
            panic!("{problem}");
        }
        (status, body)
    }

    /// Builds the request of a sample event as `who`, with its ids replaced, and sends it.
    pub async fn send(&self, req: ApiRequest) -> (u16, Value) {
        let function = req.function;
        self.call(function, req.build()).await
    }
}

/// The pattern of the route `method path` resolves to, if any.
pub fn pattern_of<R: Copy + PartialEq>(
    router: &Router<R>,
    method: &Method,
    path: &str,
) -> Option<&'static str> {
    let (id, _) = router.resolve(method, path).ok()?;
    router
        .routes()
        .iter()
        .find(|r| r.id == id)
        .map(|r| r.pattern)
}

/// The status and JSON body of a response. Panics (failing the test) if a body is not JSON.
pub fn split(response: Response<Body>) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = match response.body() {
        Body::Empty => Value::Null,
        Body::Text(text) => serde_json::from_str(text).expect("response body is JSON"),
        Body::Binary(bytes) => serde_json::from_slice(bytes).expect("response body is JSON"),
        _ => Value::Null,
    };
    (status, body)
}

/// Where the sample events live.
pub fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("events")
}

/// A sample event, parsed.
pub fn sample_event(function: Function, name: &str) -> Value {
    let path = events_dir()
        .join(function.dir())
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("read sample event {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

/// A request built from a sample event, changed where a test needs it.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    function: Function,
    event: Value,
}

impl ApiRequest {
    /// The sample event `events/<function>/<name>.json`, unchanged.
    pub fn sample(function: Function, name: &str) -> Self {
        Self {
            function,
            event: sample_event(function, name),
        }
    }

    /// The function it goes to.
    pub fn function(&self) -> Function {
        self.function
    }

    /// Replaces the sample ids in the path.
    pub fn ids(mut self, event_id: Option<&str>, photo_id: Option<&str>) -> Self {
        let mut path = self.path();
        if let Some(e) = event_id {
            path = path.replace(SAMPLE_EVENT_ID, e);
        }
        if let Some(p) = photo_id {
            path = path.replace(SAMPLE_PHOTO_ID, p);
        }
        self.set_path(&path);
        self
    }

    /// Replaces a literal part of the path (job ids, codes).
    pub fn path_replace(mut self, from: &str, to: &str) -> Self {
        let path = self.path().replace(from, to);
        self.set_path(&path);
        self
    }

    /// Sets the whole path.
    pub fn path_to(mut self, path: &str) -> Self {
        self.set_path(path);
        self
    }

    /// Sets the method.
    pub fn method(mut self, method: &str) -> Self {
        self.event["requestContext"]["http"]["method"] = Value::from(method);
        self
    }

    fn path(&self) -> String {
        self.event["rawPath"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    fn set_path(&mut self, path: &str) {
        self.event["rawPath"] = Value::from(path);
        self.event["requestContext"]["http"]["path"] = Value::from(path);
    }

    /// Sends it as `who` (the JWT claims of the authorizer).
    pub fn as_user(mut self, who: &Photographer) -> Self {
        self.event["requestContext"]["authorizer"]["jwt"]["claims"] = serde_json::json!({
            "sub": who.sub,
            "email": who.email,
            "cognito:username": who.username,
            "token_use": "id",
        });
        self
    }

    /// Sends it as `who` unless [`ApiRequest::anonymous`] removed the claims.
    pub fn as_user_if_claims(self, who: &Photographer) -> Self {
        if self.event["requestContext"].get("authorizer").is_some() {
            self.as_user(who)
        } else {
            self
        }
    }

    /// Sends it with `Authorization: Bearer <token>` (a viewer token, or anything else).
    pub fn bearer(mut self, token: &str) -> Self {
        self.event["headers"]["authorization"] = Value::from(format!("Bearer {token}"));
        self
    }

    /// Sends it without an `Authorization` header.
    pub fn no_bearer(mut self) -> Self {
        if let Some(headers) = self.event["headers"].as_object_mut() {
            headers.remove("authorization");
        }
        self
    }

    /// Sends it from `ip` (API Gateway's `sourceIp`).
    pub fn from_ip(mut self, ip: &str) -> Self {
        self.event["requestContext"]["http"]["sourceIp"] = Value::from(ip);
        self
    }

    /// Sets a request header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.event["headers"][name] = Value::from(value);
        self
    }

    /// Sends it without any authorizer context.
    pub fn anonymous(mut self) -> Self {
        if let Some(ctx) = self.event["requestContext"].as_object_mut() {
            ctx.remove("authorizer");
        }
        self
    }

    /// Replaces the body with this JSON.
    pub fn json(mut self, body: Value) -> Self {
        self.event["body"] = Value::from(body.to_string());
        self
    }

    /// Replaces the body with this text, verbatim.
    pub fn raw_body(mut self, body: &str) -> Self {
        self.event["body"] = Value::from(body);
        self
    }

    /// Removes the body.
    pub fn no_body(mut self) -> Self {
        if let Some(e) = self.event.as_object_mut() {
            e.remove("body");
        }
        self
    }

    /// Replaces the query string.
    pub fn query(mut self, query: &str) -> Self {
        self.event["rawQueryString"] = Value::from(query);
        if let Some(e) = self.event.as_object_mut() {
            e.remove("queryStringParameters");
        }
        self
    }

    /// The `lambda_http::Request` API Gateway would hand the function.
    pub fn build(self) -> Request {
        lambda_http::request::from_str(&self.event.to_string())
            .expect("the sample event is a valid API Gateway v2 event")
    }
}
