//! `picpass dlq`: the dead letters of the local stack's queues (`process`, `jobs`), listed
//! and moved back, on a data directory whether or not a server runs on it (the queues are
//! one SQLite file; a running server picks redriven messages up within a second).
//!
//! On AWS the same is the SQS console's "Start DLQ redrive", or
//! `aws sqs start-message-move-task --source-arn <dlq arn>` (README, "Dead letters").

use std::path::PathBuf;
use std::process::ExitCode;

use shared::adapters::SqliteQueue;
use shared::config::Config;
use shared::domain::Timestamp;
use shared::wiring::local::{JOBS_QUEUE, PROCESS_QUEUE};

/// `picpass dlq` options.
#[derive(Debug, clap::Args)]
pub struct DlqArgs {
    #[command(subcommand)]
    command: DlqCommand,
    /// Data directory [default: PICPASS_DATA_DIR, else ./.picpass].
    #[arg(long, global = true)]
    data: Option<PathBuf>,
    /// Only this queue.
    #[arg(long, global = true, value_enum)]
    queue: Option<QueueName>,
}

#[derive(Debug, clap::Subcommand)]
enum DlqCommand {
    /// Print the dead letters, one JSON object a line, oldest first.
    List {
        /// At most this many per queue.
        #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        limit: u32,
    },
    /// Move dead letters back into their queue: the ids given, or every one with --all.
    Redrive {
        /// Message ids, as `list` prints them.
        ids: Vec<String>,
        /// Every dead letter (of --queue, else of both queues).
        #[arg(long, conflicts_with = "ids")]
        all: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum QueueName {
    Process,
    Jobs,
}

/// Runs the command; prints what it did.
pub fn run(args: &DlqArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("picpass dlq: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dlq(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("picpass dlq: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn dlq(args: &DlqArgs) -> shared::Result<()> {
    let queues = open_queues(args)?;
    match &args.command {
        DlqCommand::List { limit } => {
            for (name, queue) in &queues {
                for letter in queue.list_dead_letters(*limit).await? {
                    let line = serde_json::json!({
                        "queue": name,
                        "message_id": letter.message_id,
                        "receive_count": letter.receive_count,
                        "dead_at": Timestamp::from_epoch_secs(letter.dead_at_ms / 1000).to_rfc3339(),
                        "body": letter.body,
                    });
                    println!("{line}");
                }
            }
        }
        DlqCommand::Redrive { ids, all } => {
            if ids.is_empty() && !all {
                return Err(shared::Error::invalid(
                    "nothing_to_redrive",
                    "name the message ids to move back, or pass --all",
                ));
            }
            let ids = (!all).then(|| ids.clone());
            let mut moved = 0;
            for (name, queue) in &queues {
                let count = queue.redrive(ids.clone()).await?;
                eprintln!("picpass dlq: {count} message(s) moved back to {name}");
                moved += count;
            }
            if let Some(ids) = &ids
                && moved < ids.len() as u64
            {
                return Err(shared::Error::not_found(
                    "not_a_dead_letter",
                    format!(
                        "{} of the {} ids are not dead letters of these queues",
                        ids.len() as u64 - moved,
                        ids.len()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The queues chosen, opened on the data directory's queue file (which must exist: this
/// command never creates a data directory).
fn open_queues(args: &DlqArgs) -> shared::Result<Vec<(&'static str, SqliteQueue)>> {
    let mut config = Config::from_env()?;
    if let Some(data) = &args.data {
        config.data_dir.clone_from(data);
    }
    let file = config.data_dir.join("queues.sqlite3");
    if !file.is_file() {
        return Err(shared::Error::not_found(
            "no_data_dir",
            format!(
                "no queues at {}: is this a picpass serve data directory? (--data)",
                file.display()
            ),
        ));
    }
    let chosen = [
        (QueueName::Process, "process", PROCESS_QUEUE),
        (QueueName::Jobs, "jobs", JOBS_QUEUE),
    ];
    chosen
        .into_iter()
        .filter(|(which, _, _)| args.queue.is_none_or(|q| q == *which))
        .map(|(_, name, settings)| Ok((name, SqliteQueue::open(&file, name, settings)?)))
        .collect()
}
