//! Drives the archive builder on local storage (SQLite + FsBlobs) for `scripts/bench-archive`
//! and `scripts/check-zip64`, so time and peak memory of a build can be measured on their
//! own (`/usr/bin/time -v archive_driver build DIR`).
//!
//! ```text
//! archive_driver setup DIR COUNT BYTES   photos with originals of BYTES each (CRC-32 recorded)
//! archive_driver synthetic DIR COUNT BYTES [FIRST_BYTES]
//!                                        photo rows only: originals are generated on read
//!                                        (for archives of 4 GiB and more, or 70,000 entries);
//!                                        the first photo may have a size of its own
//! archive_driver build DIR               ask for everything and build it; prints a JSON line
//! archive_driver export DIR OUT          copies the built archive to OUT
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use shared::adapters::{FsBlobs, MemoryQueue, SqliteCatalog};
use shared::archive::{
    ArchiveDeps, ArchiveOutcome, ArchiveSelection, process_archive_job, request_archive,
};
use shared::domain::{
    AccessCode, Event, EventId, Grant, JobKind, JobMessage, Page, PageRequest, Photo, PhotoId,
    PhotoMetadata, PhotoStatus, Timestamp, UploadKind, UserId, keys,
};
use shared::error::Result;
use shared::ports::{
    Blobs, Catalog, CompletedPart, ObjectInfo, PartInfo, Presign, PresignedRequest, PutConstraints,
};

type Failure = Box<dyn std::error::Error>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::result::Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str).ok_or("missing argument");
    match arg(0)? {
        "setup" => {
            let bytes = arg(3)?.parse()?;
            setup(Path::new(arg(1)?), arg(2)?.parse()?, bytes, bytes, false).await
        }
        "synthetic" => {
            let bytes = arg(3)?.parse()?;
            let first = match args.get(4) {
                Some(first) => first.parse()?,
                None => bytes,
            };
            setup(Path::new(arg(1)?), arg(2)?.parse()?, bytes, first, true).await
        }
        "build" => build(Path::new(arg(1)?)).await,
        "export" => export(Path::new(arg(1)?), Path::new(arg(2)?)).await,
        other => Err(format!("unknown command {other}").into()),
    }
}

/// What `setup` leaves for `build`.
#[derive(serde::Serialize, serde::Deserialize)]
struct World {
    event: Event,
    code: AccessCode,
    synthetic: bool,
}

fn open(
    dir: &Path,
    synthetic: bool,
) -> std::result::Result<(Arc<SqliteCatalog>, Arc<dyn Blobs>), Failure> {
    let catalog = Arc::new(SqliteCatalog::open(dir.join("catalog.sqlite3"))?);
    let fs: Arc<dyn Blobs> = Arc::new(FsBlobs::open(
        dir.join("blobs"),
        "http://127.0.0.1:9",
        &[7u8; 32],
    )?);
    let blobs: Arc<dyn Blobs> = if synthetic {
        Arc::new(Synthetic { inner: fs })
    } else {
        fs
    };
    Ok((catalog, blobs))
}

async fn setup(
    dir: &Path,
    count: usize,
    bytes: u64,
    first_bytes: u64,
    synthetic: bool,
) -> std::result::Result<(), Failure> {
    std::fs::create_dir_all(dir)?;
    let (catalog, blobs) = open(dir, synthetic)?;
    let now = Timestamp::now();
    let owner = UserId::parse("8f0c2a6e-1b2c-4d5e-9f00-123456789abc")?;
    let event = Event {
        event_id: EventId::generate(),
        owner_id: owner.clone(),
        name: "Bench".into(),
        slug: "bench".into(),
        created_at: now,
        expires_at: now.plus_secs(7 * 86_400),
        cover_photo_id: None,
        watermark: None,
        photo_count: 0,
        version: 0,
    };
    catalog.insert_event(&event).await?;
    let mut photos = Vec::with_capacity(count);
    for i in 0..count {
        let photo_id = PhotoId::generate();
        let bytes = if i == 0 { first_bytes } else { bytes };
        let crc32 = if synthetic {
            Synthetic::crc(photo_id, bytes)
        } else {
            let body = Synthetic::bytes(photo_id, 0, bytes);
            let crc = crc32fast::hash(&body);
            blobs
                .put(
                    &keys::original(&owner, event.event_id, photo_id),
                    body.into(),
                    "image/jpeg",
                )
                .await?;
            crc
        };
        photos.push(Photo {
            event_id: event.event_id,
            photo_id,
            owner_id: owner.clone(),
            filename: format!("IMG_{:05}.jpg", i % 100_000),
            content_type: "image/jpeg".into(),
            bytes,
            sha256: String::new(),
            status: PhotoStatus::Ready,
            failure: None,
            metadata: Some(PhotoMetadata {
                crc32: Some(crc32),
                ..PhotoMetadata::default()
            }),
            upload: UploadKind::Single,
            created_at: now,
            processing_until: None,
            attempts: 1,
            expires_at: event.expires_at,
            version: 0,
        });
    }
    for chunk in photos.chunks(5_000) {
        catalog.insert_photos(chunk).await?;
    }
    let code = AccessCode {
        event_id: event.event_id,
        code_key: "bench".into(),
        sealed_code: String::new(),
        label: "bench".into(),
        grant: Grant::All,
        created_at: now,
        valid_until: None,
        revoked_at: None,
        expires_at: event.expires_at,
        version: 0,
    };
    catalog.insert_code(&code).await?;
    let world = World {
        event,
        code,
        synthetic,
    };
    std::fs::write(dir.join("world.json"), serde_json::to_vec(&world)?)?;
    Ok(())
}

fn load(dir: &Path) -> std::result::Result<(World, ArchiveDeps), Failure> {
    let world: World = serde_json::from_slice(&std::fs::read(dir.join("world.json"))?)?;
    let (catalog, blobs) = open(dir, world.synthetic)?;
    let deps = ArchiveDeps {
        catalog,
        blobs,
        jobs_queue: Arc::new(MemoryQueue::new(Duration::from_secs(30), 5)),
        max_entries: u32::MAX,
    };
    Ok((world, deps))
}

async fn build(dir: &Path) -> std::result::Result<(), Failure> {
    let (world, deps) = load(dir)?;
    // Each build is a new archive (a new code asks), and the last one's objects go first.
    deps.blobs.delete_prefix(keys::ARCHIVES_PREFIX).await?;
    let code = AccessCode {
        code_key: PhotoId::generate().to_string(),
        ..world.code.clone()
    };
    deps.catalog.insert_code(&code).await?;
    let started = Instant::now();
    let requested = request_archive(
        &deps,
        &world.event,
        &code,
        ArchiveSelection::All,
        Timestamp::now(),
    )
    .await?;
    let message = JobMessage {
        kind: JobKind::Archive,
        event_id: world.event.event_id,
        job_id: requested.archive_id,
    };
    let outcome = loop {
        match process_archive_job(&deps, &message, None).await? {
            ArchiveOutcome::Continued => continue,
            outcome => break outcome,
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let ArchiveOutcome::Ready { bytes } = outcome else {
        return Err(format!("build ended with {outcome:?}").into());
    };
    std::fs::write(
        dir.join("archive-key"),
        keys::archive(world.event.event_id, requested.archive_id),
    )?;
    println!("{{\"archive_bytes\": {bytes}, \"seconds\": {seconds:.3}}}");
    Ok(())
}

async fn export(dir: &Path, out: &Path) -> std::result::Result<(), Failure> {
    let (_, deps) = load(dir)?;
    let key = std::fs::read_to_string(dir.join("archive-key"))?;
    let size = deps.blobs.head(&key).await?.bytes;
    let mut file = std::io::BufWriter::new(std::fs::File::create(PathBuf::from(out))?);
    let mut offset = 0;
    while offset < size {
        let chunk = deps.blobs.get_range(&key, offset, 8 << 20).await?;
        std::io::Write::write_all(&mut file, &chunk)?;
        offset += chunk.len() as u64;
    }
    std::io::Write::flush(&mut file)?;
    Ok(())
}

/// Originals generated on read (a 64 KiB pseudo-random block, shifted per photo), so an
/// archive of any size can be built without storing its originals first; everything
/// else goes to the real store.
#[derive(Debug)]
struct Synthetic {
    inner: Arc<dyn Blobs>,
}

const BLOCK: usize = 64 * 1024;

fn block() -> &'static [u8; BLOCK] {
    static BLOCK_BYTES: std::sync::OnceLock<Box<[u8; BLOCK]>> = std::sync::OnceLock::new();
    BLOCK_BYTES.get_or_init(|| {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut out = Box::new([0u8; BLOCK]);
        for byte in out.iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *byte = state as u8;
        }
        out
    })
}

impl Synthetic {
    fn shift(photo: PhotoId) -> usize {
        (photo.to_string().bytes().map(usize::from).sum::<usize>() * 7919) % BLOCK
    }

    fn bytes(photo: PhotoId, offset: u64, len: u64) -> Vec<u8> {
        let block = block();
        let len = len as usize;
        let mut out = Vec::with_capacity(len);
        let mut at = (offset as usize + Self::shift(photo)) % BLOCK;
        while out.len() < len {
            let take = (BLOCK - at).min(len - out.len());
            out.extend_from_slice(&block[at..at + take]);
            at = 0;
        }
        out
    }

    fn crc(photo: PhotoId, size: u64) -> u32 {
        let mut hasher = crc32fast::Hasher::new();
        let mut offset = 0;
        while offset < size {
            let len = (size - offset).min(8 << 20);
            hasher.update(&Self::bytes(photo, offset, len));
            offset += len;
        }
        hasher.finalize()
    }
}

#[async_trait]
impl Blobs for Synthetic {
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<()> {
        self.inner.put(key, body, content_type).await
    }
    async fn get_bounded(&self, key: &str, max: u64) -> Result<Bytes> {
        self.inner.get_bounded(key, max).await
    }
    async fn get_range(&self, key: &str, offset: u64, len: u64) -> Result<Bytes> {
        let Some((_, _, photo)) = keys::parse_original(key) else {
            return self.inner.get_range(key, offset, len).await;
        };
        // The size is the photo row's; the generator does not know it, the reader asks
        // within it.
        Ok(Self::bytes(photo, offset, len).into())
    }
    async fn head(&self, key: &str) -> Result<ObjectInfo> {
        self.inner.head(key).await
    }
    async fn delete(&self, key: &str) -> Result<()> {
        self.inner.delete(key).await
    }
    async fn delete_prefix(&self, prefix: &str) -> Result<u64> {
        self.inner.delete_prefix(prefix).await
    }
    async fn list(&self, prefix: &str, page: &PageRequest) -> Result<Page<ObjectInfo>> {
        self.inner.list(prefix, page).await
    }
    fn presign_put(&self, key: &str, c: &PutConstraints, p: Presign) -> Result<PresignedRequest> {
        self.inner.presign_put(key, c, p)
    }
    fn presign_get(&self, key: &str, d: Option<&str>, p: Presign) -> Result<PresignedRequest> {
        self.inner.presign_get(key, d, p)
    }
    async fn create_multipart(&self, key: &str, content_type: &str) -> Result<String> {
        self.inner.create_multipart(key, content_type).await
    }
    fn presign_part(
        &self,
        key: &str,
        id: &str,
        n: u32,
        len: u64,
        p: Presign,
    ) -> Result<PresignedRequest> {
        self.inner.presign_part(key, id, n, len, p)
    }
    async fn upload_part(&self, key: &str, id: &str, n: u32, body: Bytes) -> Result<String> {
        self.inner.upload_part(key, id, n, body).await
    }
    async fn list_parts(&self, key: &str, id: &str) -> Result<Vec<PartInfo>> {
        self.inner.list_parts(key, id).await
    }
    async fn complete_multipart(&self, key: &str, id: &str, parts: &[CompletedPart]) -> Result<()> {
        self.inner.complete_multipart(key, id, parts).await
    }
    async fn abort_multipart(&self, key: &str, id: &str) -> Result<()> {
        self.inner.abort_multipart(key, id).await
    }
}
