//! Local storage: everything in one data directory (`PICPASS_DATA_DIR`, default `./.picpass`),
//! shared by `picpass serve` and by the Lambda binaries run with `PICPASS_STORAGE=local`
//! (`cargo lambda watch` / `invoke` against the same data).
//!
//! ```text
//! <data>/catalog.sqlite3   SqliteCatalog: users, events, photos, codes, counters, jobs
//! <data>/queues.sqlite3    SqliteQueue: the `process` and `jobs` queues and their dead letters
//! <data>/blobs/            FsBlobs: objects and multipart uploads
//! <data>/secrets/*.key     keys generated on first use (hex, mode 0600)
//! ```
//!
//! Secrets set in the environment (`PICPASS_CODE_SECRET`, `PICPASS_VIEWER_TOKEN_SECRET`)
//! win over the generated ones; the blob URL signing key and the local token key only
//! ever live in the data directory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::{Adapters, Function};
use crate::adapters::layers::{FaultPlan, Faults, Guard, Layered};
use crate::adapters::sqlite_queue::{QueueSettings, SqliteQueue};
use crate::adapters::{FsBlobs, SqliteCatalog};
use crate::config::{Config, Secret};
use crate::error::{Error, Result};
use crate::local_auth::JwtKeys;
use crate::ports::{Blobs, Catalog, Queue, QueueSender};

/// The process queue: uploaded originals and derivative jobs. A delivery is hidden for 5
/// minutes (a photo takes seconds; long jobs continue in a new message before that), and a
/// message received 5 times goes to the dead letters, as the AWS template's redrive does.
pub const PROCESS_QUEUE: QueueSettings = QueueSettings {
    visibility_timeout: Duration::from_secs(300),
    max_receives: 5,
};
/// The jobs queue: archives (15 minutes, Lambda's longest run, then a new message).
pub const JOBS_QUEUE: QueueSettings = QueueSettings {
    visibility_timeout: Duration::from_secs(900),
    max_receives: 5,
};
/// The bucket name the local stack's S3-shaped notifications carry.
pub const LOCAL_BUCKET: &str = "picpass-local";
/// Where presigned URLs of local storage are served, under the stack's base URL.
pub const BLOBS_PATH: &str = "/blobs";

/// A local installation: its data directory opened, its keys loaded.
///
/// The ports it hands out ([`LocalStack::adapters`], the consumers) run every call through
/// a [`Guard`] (timeout and retries, as the AWS SDK gives the AWS adapters) and, when a
/// test asks for it ([`LocalStack::with_faults`]), through fault injection first.
#[derive(Debug, Clone)]
pub struct LocalStack {
    /// The configuration, with the secrets the data directory supplies filled in.
    pub config: Config,
    root: PathBuf,
    catalog: Arc<SqliteCatalog>,
    process_queue: Arc<SqliteQueue>,
    jobs_queue: Arc<SqliteQueue>,
    blob_key: Secret,
    jwt_key: Secret,
    guard: Guard,
    faults: Option<PortFaults>,
}

/// The fault injectors of the three ports (each counts its own calls; both queues share
/// the queue port's).
#[derive(Debug, Clone)]
pub struct PortFaults {
    /// Around the catalog.
    pub catalog: Faults,
    /// Around the blob store.
    pub blobs: Faults,
    /// Around both queues.
    pub queue: Faults,
}

impl PortFaults {
    /// `catalog 12/85 calls, blobs …`: what was injected so far.
    pub fn summary(&self) -> String {
        let port = |name: &str, f: &Faults| format!("{name} {}/{} calls", f.injected(), f.calls());
        format!(
            "{}, {}, {}",
            port("catalog", &self.catalog),
            port("blobs", &self.blobs),
            port("queue", &self.queue)
        )
    }
}

impl LocalStack {
    /// Opens (creating on first use) the data directory `config.data_dir`.
    pub fn open(config: &Config) -> Result<Self> {
        let root = config.data_dir.clone();
        create_private_dir(&root)?;
        let secrets = root.join("secrets");
        create_private_dir(&secrets)?;
        let mut config = config.clone();
        if config.code_secret.is_none() {
            config.code_secret = Some(secret_file(&secrets.join("code.key"))?);
        }
        if config.viewer_token_secret.is_none() {
            config.viewer_token_secret = Some(secret_file(&secrets.join("viewer-token.key"))?);
        }
        let queues = root.join("queues.sqlite3");
        Ok(Self {
            catalog: Arc::new(SqliteCatalog::open(root.join("catalog.sqlite3"))?),
            process_queue: Arc::new(SqliteQueue::open(&queues, "process", PROCESS_QUEUE)?),
            jobs_queue: Arc::new(SqliteQueue::open(&queues, "jobs", JOBS_QUEUE)?),
            blob_key: secret_file(&secrets.join("blob-signing.key"))?,
            jwt_key: secret_file(&secrets.join("jwt.key"))?,
            config,
            root,
            guard: Guard::LOCAL,
            faults: None,
        })
    }

    /// The same stack with `guard` around its ports instead of [`Guard::LOCAL`].
    pub fn with_guard(mut self, guard: Guard) -> Self {
        self.guard = guard;
        self
    }

    /// The same stack with faults injected into its ports' calls under `plan` (tests only:
    /// `picpass serve --inject-faults`).
    pub fn with_faults(mut self, plan: FaultPlan) -> Self {
        self.faults = Some(PortFaults {
            catalog: Faults::new(plan),
            blobs: Faults::new(plan),
            queue: Faults::new(plan),
        });
        self
    }

    /// The fault injectors, when faults are on.
    pub fn faults(&self) -> Option<&PortFaults> {
        self.faults.as_ref()
    }

    /// The data directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The catalog.
    pub fn catalog(&self) -> Arc<SqliteCatalog> {
        Arc::clone(&self.catalog)
    }

    /// The process queue (both ends).
    pub fn process_queue(&self) -> Arc<SqliteQueue> {
        Arc::clone(&self.process_queue)
    }

    /// The jobs queue (both ends).
    pub fn jobs_queue(&self) -> Arc<SqliteQueue> {
        Arc::clone(&self.jobs_queue)
    }

    /// The signing key of photographer tokens.
    pub fn jwt_keys(&self) -> Result<JwtKeys> {
        JwtKeys::new(self.jwt_key.expose())
    }

    /// A handle on the blob store, its presigned URLs under the public base URL's
    /// [`BLOBS_PATH`]. `picpass serve` adds its upload notifications to it.
    pub fn open_blobs(&self) -> Result<FsBlobs> {
        let base = format!(
            "{}{BLOBS_PATH}",
            self.config.public_base_url.trim_end_matches('/')
        );
        FsBlobs::open(self.root.join("blobs"), &base, self.blob_key.expose())
    }

    /// Every port on this data directory, over `blobs`, each call guarded (and faulted).
    pub fn adapters_with(&self, blobs: Arc<dyn Blobs>) -> Adapters {
        Adapters {
            catalog: self.guarded_catalog(),
            blobs: self.guarded_blobs(blobs),
            process_queue: Some(self.process_consumer() as Arc<dyn QueueSender>),
            jobs_queue: Some(self.jobs_consumer() as Arc<dyn QueueSender>),
            bucket: LOCAL_BUCKET.to_owned(),
        }
    }

    /// The process queue's consumer end, each call guarded (and faulted).
    pub fn process_consumer(&self) -> Arc<dyn Queue> {
        self.guarded_queue(self.process_queue())
    }

    /// The jobs queue's consumer end, each call guarded (and faulted).
    pub fn jobs_consumer(&self) -> Arc<dyn Queue> {
        self.guarded_queue(self.jobs_queue())
    }

    fn guarded_catalog(&self) -> Arc<dyn Catalog> {
        let mut catalog: Arc<dyn Catalog> = self.catalog();
        if let Some(faults) = &self.faults {
            catalog = Arc::new(Layered::new(catalog, faults.catalog.clone()));
        }
        Arc::new(Layered::new(catalog, self.guard))
    }

    fn guarded_blobs(&self, mut blobs: Arc<dyn Blobs>) -> Arc<dyn Blobs> {
        if let Some(faults) = &self.faults {
            blobs = Arc::new(Layered::new(blobs, faults.blobs.clone()));
        }
        Arc::new(Layered::new(blobs, self.guard))
    }

    fn guarded_queue(&self, queue: Arc<SqliteQueue>) -> Arc<dyn Queue> {
        let mut queue: Arc<dyn Queue> = queue;
        if let Some(faults) = &self.faults {
            queue = Arc::new(Layered::new(queue, faults.queue.clone()));
        }
        Arc::new(Layered::new(queue, self.guard))
    }

    /// The ports `function` uses (the queues it sends to, and no others).
    pub fn adapters(&self, function: Function) -> Result<Adapters> {
        let needs = function.needs();
        let mut adapters = self.adapters_with(Arc::new(self.open_blobs()?));
        if !needs.process_queue {
            adapters.process_queue = None;
        }
        if !needs.jobs_queue {
            adapters.jobs_queue = None;
        }
        Ok(adapters)
    }
}

fn local_io(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::internal(format!("data directory: {what} {}", path.display()), e)
}

fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| local_io("creating", dir, e))
}

/// The key in `path`, generated (32 random bytes, hex) if the file does not exist yet.
/// Written to a temporary file and hard-linked into place, so two processes starting at
/// once agree on one key and nobody reads a half-written one.
fn secret_file(path: &Path) -> Result<Secret> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            return Secret::parse(&text).ok_or_else(|| {
                Error::internal_msg(format!(
                    "data directory: {} is not a key of 32 bytes or more; delete it to make a new one",
                    path.display()
                ))
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(local_io("reading", path, e)),
    }
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| Error::internal_msg(format!("random key: {e}")))?;
    let temp = path.with_extension(format!("tmp-{}", ulid::Ulid::generate()));
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)
            .map_err(|e| local_io("creating", &temp, e))?;
        file.write_all(hex::encode(key).as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| local_io("writing", &temp, e))?;
    }
    let linked = std::fs::hard_link(&temp, path);
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(local_io("creating", path, e)),
    }
    secret_file(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &Path) -> Config {
        let mut config = Config::from_lookup(|_| Ok(None)).expect("config");
        config.data_dir = dir.join("data");
        config
    }

    #[test]
    fn keys_are_generated_once_and_kept_private() {
        let dir = tempfile::tempdir().expect("dir");
        let first = LocalStack::open(&config(dir.path())).expect("open");
        let again = LocalStack::open(&config(dir.path())).expect("reopen");
        assert_eq!(first.config.code_secret, again.config.code_secret);
        assert_eq!(first.jwt_key, again.jwt_key);
        assert_ne!(first.jwt_key, first.blob_key);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(first.root().join("secrets/jwt.key"))
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_secret_from_the_environment_wins_and_a_broken_key_file_is_named() {
        let dir = tempfile::tempdir().expect("dir");
        let mut with_env = config(dir.path());
        with_env.code_secret = Secret::parse(&"ab".repeat(32));
        let stack = LocalStack::open(&with_env).expect("open");
        assert_eq!(stack.config.code_secret, with_env.code_secret);

        std::fs::write(stack.root().join("secrets/jwt.key"), "short").expect("write");
        let err = LocalStack::open(&with_env).expect_err("broken key");
        assert!(err.to_string().contains("jwt.key"), "{err}");
    }

    #[test]
    fn each_function_gets_the_queues_it_sends_to() {
        let dir = tempfile::tempdir().expect("dir");
        let stack = LocalStack::open(&config(dir.path())).expect("open");
        let presign = stack.adapters(Function::Presign).expect("presign");
        assert!(presign.process_queue.is_none() && presign.jobs_queue.is_none());
        let gallery = stack.adapters(Function::Gallery).expect("gallery");
        assert!(gallery.jobs_queue.is_some() && gallery.process_queue.is_none());
    }
}
