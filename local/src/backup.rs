//! `picpass backup DEST` and `picpass restore BACKUP --data DIR`: a consistent copy of a
//! local data directory, taken while the server runs and uploads go on.
//!
//! A backup is itself a data directory, so `restore` is a checked copy of it:
//! - `catalog.sqlite3` and `queues.sqlite3`: SQLite's `VACUUM INTO`, one read transaction
//!   each, so each is a snapshot of one moment (a WAL reader never blocks the server).
//! - `blobs/objects/`: taken after the catalog, so every object a snapshotted row refers to
//!   was already stored ([`FsBlobs`]' objects are published before the rows that name
//!   them); hard links where the filesystem allows (objects never change in place), copies
//!   otherwise ([`shared::adapters::fs_blobs::snapshot`]). Objects stored after the catalog
//!   snapshot are extra; the server's start-up recovery queues those it finds unprocessed.
//! - `secrets/`: the keys, without which codes, tokens and signed URLs stop working.
//! - `backup.json`: when, and what was copied.
//!
//! Not copied: multipart uploads in progress (their photos stay `pending` and can be
//! uploaded again), `serve.lock`, `demo.json`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use rusqlite::{Connection, OpenFlags};
use shared::Error;
use shared::adapters::fs_blobs::snapshot::{self, SnapshotStats};
use shared::config::Config;
use shared::domain::Timestamp;

/// The databases of a data directory, copied by `VACUUM INTO`.
const DATABASES: [&str; 2] = ["catalog.sqlite3", "queues.sqlite3"];

/// `picpass backup` options.
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// Where to write the backup: a new directory (or an empty one).
    dest: PathBuf,
    /// Data directory to back up [default: PICPASS_DATA_DIR, else ./.picpass].
    #[arg(long)]
    data: Option<PathBuf>,
}

/// `picpass restore` options.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// A directory `picpass backup` wrote.
    backup: PathBuf,
    /// The data directory to create from it: new, or empty.
    #[arg(long)]
    data: PathBuf,
}

/// What `backup.json` records.
#[derive(Debug, serde::Serialize)]
struct Manifest {
    made_at: String,
    source: String,
    seconds: f64,
    objects: SnapshotStats,
    database_bytes: u64,
}

pub fn run_backup(args: &BackupArgs) -> ExitCode {
    report("backup", backup(args))
}

pub fn run_restore(args: &RestoreArgs) -> ExitCode {
    report("restore", restore(args))
}

fn report(command: &str, result: shared::Result<String>) -> ExitCode {
    match result {
        Ok(summary) => {
            eprintln!("picpass {command}: {summary}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("picpass {command}: {error}");
            ExitCode::FAILURE
        }
    }
}

fn backup(args: &BackupArgs) -> shared::Result<String> {
    let started = Instant::now();
    let mut config = Config::from_env()?;
    if let Some(data) = &args.data {
        config.data_dir.clone_from(data);
    }
    let source = config.data_dir;
    check_data_dir(&source)?;
    create_empty_dir(&args.dest)?;
    let made_at = Timestamp::now();
    // The catalog first: every object its rows name is on disk before the row is written.
    let mut database_bytes = 0;
    for name in DATABASES {
        database_bytes += vacuum_into(&source.join(name), &args.dest.join(name))?;
    }
    copy_secrets(&source.join("secrets"), &args.dest.join("secrets"))?;
    let objects = snapshot::copy_objects(&source.join("blobs"), &args.dest.join("blobs"))?;
    let manifest = Manifest {
        made_at: made_at.to_rfc3339(),
        source: source.display().to_string(),
        seconds: started.elapsed().as_secs_f64(),
        objects,
        database_bytes,
    };
    let json = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| Error::internal("writing backup.json", e))?;
    fs::write(args.dest.join("backup.json"), json).map_err(|e| io("writing backup.json", e))?;
    sync_dir(&args.dest)?;
    Ok(format!(
        "{} objects ({} bytes; {} linked, {} copied) and {database_bytes} bytes of databases in {:.1} s to {}",
        objects.objects,
        objects.bytes,
        objects.linked,
        objects.copied,
        manifest.seconds,
        args.dest.display()
    ))
}

fn restore(args: &RestoreArgs) -> shared::Result<String> {
    let started = Instant::now();
    check_data_dir(&args.backup)?;
    if !args.backup.join("backup.json").is_file() {
        return Err(Error::invalid(
            "not_a_backup",
            format!(
                "{} has no backup.json: not a picpass backup",
                args.backup.display()
            ),
        ));
    }
    for name in DATABASES {
        integrity_check(&args.backup.join(name))?;
    }
    create_empty_dir(&args.data)?;
    // The databases are copied, never linked: the server changes them in place.
    for name in DATABASES {
        vacuum_into(&args.backup.join(name), &args.data.join(name))?;
    }
    copy_secrets(&args.backup.join("secrets"), &args.data.join("secrets"))?;
    let objects = snapshot::copy_objects(&args.backup.join("blobs"), &args.data.join("blobs"))?;
    sync_dir(&args.data)?;
    Ok(format!(
        "{} objects restored into {} in {:.1} s; start it with picpass serve --data {}",
        objects.objects,
        args.data.display(),
        started.elapsed().as_secs_f64(),
        args.data.display()
    ))
}

/// A data directory has its catalog, queues, keys and store.
fn check_data_dir(dir: &Path) -> shared::Result<()> {
    let missing: Vec<&str> = ["catalog.sqlite3", "queues.sqlite3", "secrets", "blobs"]
        .into_iter()
        .filter(|name| !dir.join(name).exists())
        .collect();
    match missing.is_empty() {
        true => Ok(()),
        false => Err(Error::not_found(
            "not_a_data_dir",
            format!(
                "{} is not a picpass data directory (no {})",
                dir.display(),
                missing.join(", ")
            ),
        )),
    }
}

/// Creates `dir` (mode 0700), or accepts it empty; never writes into a non-empty one.
fn create_empty_dir(dir: &Path) -> shared::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.exists() {
        let mut entries = fs::read_dir(dir).map_err(|e| io("reading the destination", e))?;
        if entries.next().is_some() {
            return Err(Error::conflict(
                "destination_not_empty",
                format!("{} exists and is not empty", dir.display()),
            ));
        }
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| io("creating the destination", e))
}

/// A consistent copy of the database at `from` (read-only, whatever writes it meanwhile);
/// returns its size.
fn vacuum_into(from: &Path, to: &Path) -> shared::Result<u64> {
    let conn = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| Error::internal(format!("opening {}", from.display()), e))?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(|e| Error::internal("setting a busy timeout", e))?;
    let target = to
        .to_str()
        .ok_or_else(|| Error::invalid("path_not_utf8", "the destination path is not UTF-8"))?;
    conn.execute("VACUUM INTO ?1", [target])
        .map_err(|e| Error::internal(format!("copying {}", from.display()), e))?;
    fs::File::open(to)
        .and_then(|f| f.sync_all())
        .map_err(|e| io("syncing a database copy", e))?;
    Ok(fs::metadata(to)
        .map_err(|e| io("reading a database copy", e))?
        .len())
}

/// SQLite's own check of every page and index.
fn integrity_check(path: &Path) -> shared::Result<()> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| Error::internal(format!("opening {}", path.display()), e))?;
    let verdict: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .map_err(|e| Error::internal(format!("checking {}", path.display()), e))?;
    match verdict.as_str() {
        "ok" => Ok(()),
        _ => Err(Error::invalid(
            "backup_damaged",
            format!(
                "{} fails SQLite's integrity check: {verdict}",
                path.display()
            ),
        )),
    }
}

/// The key files, mode 0600 in a 0700 directory.
fn copy_secrets(from: &Path, to: &Path) -> shared::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    fs::DirBuilder::new()
        .mode(0o700)
        .create(to)
        .map_err(|e| io("creating secrets/", e))?;
    for entry in fs::read_dir(from).map_err(|e| io("reading secrets/", e))? {
        let entry = entry.map_err(|e| io("reading secrets/", e))?;
        if !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let bytes = fs::read(entry.path()).map_err(|e| io("reading a key", e))?;
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(to.join(entry.file_name()))
            .map_err(|e| io("writing a key", e))?;
        std::io::Write::write_all(&mut file, &bytes).map_err(|e| io("writing a key", e))?;
        file.sync_all().map_err(|e| io("syncing a key", e))?;
    }
    sync_dir(to)
}

fn sync_dir(dir: &Path) -> shared::Result<()> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io("syncing a directory", e))
}

fn io(what: &'static str, error: std::io::Error) -> Error {
    Error::internal(what, error)
}
