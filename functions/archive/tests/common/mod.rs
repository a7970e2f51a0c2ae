//! A world to build archives in: real catalog and storage (SQLite + FsBlobs, or DynamoDB on
//! moto + S3 on s3s-fs), photos with originals, codes, and the readers that check a zip
//! (`unzip -t` and Python's `zipfile`).

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use shared::adapters::dynamo_catalog::{DynamoCatalog, DynamoTables};
use shared::adapters::fs_blobs::{self, FsBlobs};
use shared::adapters::s3_blobs::{S3Blobs, S3BlobsConfig};
use shared::adapters::{MemoryQueue, SqliteCatalog};
use shared::archive::{
    ArchiveDeps, ArchiveOutcome, ArchiveSelection, process_archive_job, request_archive,
};
use shared::domain::{
    AccessCode, Event, EventId, Grant, Job, JobId, JobKind, JobMessage, Photo, PhotoId,
    PhotoMetadata, PhotoStatus, Timestamp, UploadKind, UserId, keys,
};
use shared::ports::{Blobs, Catalog, QueueConsumer};

/// Instantiates each listed test (an `async fn(World)`) on both storage stacks.
#[macro_export]
macro_rules! on_both_stacks {
    ($($name:ident),+ $(,)?) => {
        mod local {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::World::local().await).await;
                }
            )+
        }
        mod aws {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::World::aws().await).await;
                }
            )+
        }
    };
}

/// Keeps servers and directories alive as long as the world.
#[allow(dead_code)]
enum Keep {
    Local {
        server: tokio::task::JoinHandle<()>,
        dir: tempfile::TempDir,
    },
    Aws(Box<(testkit::moto::MotoServer, testkit::s3::S3Server)>),
}

/// Real adapters and the archive deps over them.
pub struct World {
    pub deps: ArchiveDeps,
    pub catalog: Arc<dyn Catalog>,
    /// Storage as the adapter gives it (the deps may wrap it).
    pub store: Arc<dyn Blobs>,
    pub queue: Arc<MemoryQueue>,
    pub owner: UserId,
    keep: Keep,
}

impl Drop for World {
    fn drop(&mut self) {
        if let Keep::Local { server, .. } = &self.keep {
            server.abort();
        }
    }
}

impl World {
    /// SQLite catalog and FsBlobs (with its presigned-URL server) in a temporary directory.
    pub async fn local() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let catalog: Arc<dyn Catalog> =
            Arc::new(SqliteCatalog::open(dir.path().join("catalog.sqlite3")).expect("sqlite"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let fs = Arc::new(
            FsBlobs::open(
                dir.path().join("blobs"),
                &format!("http://{address}"),
                &[7u8; 32],
            )
            .expect("fs blobs"),
        );
        let server = tokio::spawn(fs_blobs::http::serve(listener, Arc::clone(&fs)));
        Self::new(catalog, fs, Keep::Local { server, dir })
    }

    /// DynamoDB on moto_server and S3 on s3s-fs.
    pub async fn aws() -> Self {
        let moto = testkit::moto::MotoServer::start()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let dynamo = DynamoCatalog::from_sdk_config(
            &testkit::aws::sdk_config(moto.endpoint_url()).await,
            DynamoTables::with_prefix("picpass-archive-"),
        );
        dynamo.create_tables().await.expect("tables on moto");
        let s3 = testkit::s3::S3Server::start().await;
        let blobs = S3Blobs::new(
            &s3.sdk_config().await,
            S3BlobsConfig {
                bucket: s3.bucket().to_owned(),
                force_path_style: true,
            },
        )
        .await
        .expect("S3Blobs on s3s-fs");
        Self::new(
            Arc::new(dynamo),
            Arc::new(blobs),
            Keep::Aws(Box::new((moto, s3))),
        )
    }

    fn new(catalog: Arc<dyn Catalog>, store: Arc<dyn Blobs>, keep: Keep) -> Self {
        let queue = Arc::new(MemoryQueue::new(Duration::from_secs(30), 5));
        Self {
            deps: ArchiveDeps {
                catalog: Arc::clone(&catalog),
                blobs: Arc::clone(&store),
                jobs_queue: queue.clone(),
                max_entries: 20_000,
            },
            catalog,
            store,
            queue,
            owner: UserId::parse("8f0c2a6e-1b2c-4d5e-9f00-123456789abc").expect("owner"),
            keep,
        }
    }

    /// The deps with storage seen through `wrap` (fault injection).
    pub fn wrap_blobs(&mut self, wrap: impl FnOnce(Arc<dyn Blobs>) -> Arc<dyn Blobs>) {
        self.deps.blobs = wrap(Arc::clone(&self.store));
    }

    pub async fn event(&self, name: &str) -> Event {
        let now = Timestamp::now();
        let event = Event {
            event_id: EventId::generate(),
            owner_id: self.owner.clone(),
            name: name.to_owned(),
            slug: format!("e-{}", EventId::generate().to_string().to_lowercase()),
            created_at: now,
            expires_at: now.plus_secs(30 * 86_400),
            cover_photo_id: None,
            watermark: None,
            photo_count: 0,
            version: 0,
        };
        self.catalog.insert_event(&event).await.expect("event");
        event
    }

    /// Photo rows (ready, CRC-32 recorded) with their originals in storage.
    pub async fn photos(&self, event: &Event, files: &[(&str, Vec<u8>)]) -> Vec<Photo> {
        self.photos_with(event, files, PhotoStatus::Ready, true)
            .await
    }

    pub async fn photos_with(
        &self,
        event: &Event,
        files: &[(&str, Vec<u8>)],
        status: PhotoStatus,
        crc_recorded: bool,
    ) -> Vec<Photo> {
        let photos: Vec<Photo> = files
            .iter()
            .map(|(name, bytes)| photo_row(event, name, bytes, status, crc_recorded))
            .collect();
        self.catalog.insert_photos(&photos).await.expect("photos");
        for (photo, (_, bytes)) in photos.iter().zip(files) {
            self.store
                .put(
                    &keys::original(&self.owner, event.event_id, photo.photo_id),
                    Bytes::from(bytes.clone()),
                    "image/jpeg",
                )
                .await
                .expect("original");
        }
        photos
    }

    pub async fn code(&self, event: &Event, grant: Grant) -> AccessCode {
        let code = AccessCode {
            event_id: event.event_id,
            code_key: hex::encode(Sha256::digest(ulid_text().as_bytes())),
            sealed_code: "sealed".to_owned(),
            label: "Guests".to_owned(),
            grant,
            created_at: Timestamp::now(),
            valid_until: None,
            revoked_at: None,
            expires_at: event.expires_at,
            version: 0,
        };
        self.catalog.insert_code(&code).await.expect("code");
        code
    }

    /// Requests an archive now.
    pub async fn request(
        &self,
        event: &Event,
        code: &AccessCode,
        selection: ArchiveSelection,
    ) -> JobId {
        request_archive(&self.deps, event, code, selection, Timestamp::now())
            .await
            .expect("request accepted")
            .archive_id
    }

    pub fn message(event: &Event, archive: JobId) -> JobMessage {
        JobMessage {
            kind: JobKind::Archive,
            event_id: event.event_id,
            job_id: archive,
        }
    }

    /// Delivers the job's message until it finishes (no deadline); returns the outcome.
    pub async fn build(&self, event: &Event, archive: JobId) -> ArchiveOutcome {
        let message = Self::message(event, archive);
        for _ in 0..100 {
            match process_archive_job(&self.deps, &message, None).await {
                Ok(ArchiveOutcome::Continued) => continue,
                Ok(outcome) => return outcome,
                Err(e) => panic!("build failed: {e:?}"),
            }
        }
        panic!("the build did not finish");
    }

    pub async fn job(&self, event: &Event, archive: JobId) -> Job {
        self.catalog
            .get_job(event.event_id, archive)
            .await
            .expect("job row")
    }

    pub async fn zip(&self, event: &Event, archive: JobId) -> Vec<u8> {
        self.store
            .get(&keys::archive(event.event_id, archive))
            .await
            .expect("archive stored")
            .to_vec()
    }

    /// Messages waiting on the jobs queue.
    pub async fn queued_messages(&self) -> Vec<String> {
        let received = self
            .queue
            .receive(100, Duration::from_millis(10))
            .await
            .expect("receive");
        for delivery in &received {
            self.queue.ack(delivery).await.expect("ack");
        }
        received.into_iter().map(|d| d.body).collect()
    }
}

fn ulid_text() -> String {
    PhotoId::generate().to_string()
}

pub fn photo_row(
    event: &Event,
    name: &str,
    bytes: &[u8],
    status: PhotoStatus,
    crc_recorded: bool,
) -> Photo {
    Photo {
        event_id: event.event_id,
        photo_id: PhotoId::generate(),
        owner_id: event.owner_id.clone(),
        filename: name.to_owned(),
        content_type: "image/jpeg".to_owned(),
        bytes: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(bytes)),
        status,
        failure: None,
        metadata: (status == PhotoStatus::Ready).then(|| PhotoMetadata {
            width: 10,
            height: 10,
            orientation: 1,
            format: "jpeg".to_owned(),
            crc32: crc_recorded.then(|| crc32fast::hash(bytes)),
            ..PhotoMetadata::default()
        }),
        upload: UploadKind::Single,
        created_at: Timestamp::now(),
        processing_until: None,
        attempts: 1,
        expires_at: event.expires_at,
        version: 0,
    }
}

/// Deterministic bytes that look like nothing in particular.
pub fn content(seed: u8, len: usize) -> Vec<u8> {
    let mut state = u32::from(seed).wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What a reader found in a zip: (name, SHA-256 of the contents), in archive order.
pub type Listing = Vec<(String, String)>;

/// Opens `zip` with `unzip -t` (must report no errors) and with Python's `zipfile` (every
/// CRC checked); both must agree on the names. Returns Python's listing.
pub fn read_with_both_readers(zip: &[u8]) -> Listing {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("archive.zip");
    std::fs::write(&path, zip).expect("write zip");
    let unzip = std::process::Command::new("unzip")
        .arg("-t")
        .arg(&path)
        .output()
        .expect("run unzip (scripts/install-test-deps installs it)");
    let report = String::from_utf8_lossy(&unzip.stdout);
    assert!(
        unzip.status.success() && report.contains("No errors detected"),
        "unzip -t failed: {report}{}",
        String::from_utf8_lossy(&unzip.stderr)
    );
    let python = std::process::Command::new("python3")
        .arg("-c")
        .arg(PYTHON_READER)
        .arg(&path)
        .output()
        .expect("run python3");
    assert!(
        python.status.success(),
        "python zipfile failed: {}",
        String::from_utf8_lossy(&python.stderr)
    );
    let listing: Listing = serde_json::from_slice(&python.stdout).expect("reader output");
    for (name, _) in &listing {
        assert!(
            report.contains(&format!("testing: {name} ")),
            "unzip did not test {name:?}: {report}"
        );
    }
    listing
}

/// Python's reader: checks every CRC (`testzip`), prints `[[name, sha256], ...]`.
const PYTHON_READER: &str = r#"
import hashlib, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    if bad is not None:
        sys.exit("bad CRC in " + bad)
    print(json.dumps([[i.filename, hashlib.sha256(z.read(i)).hexdigest()] for i in z.infolist()]))
"#;
