//! `picpass`: PicPass on one machine. `serve` runs the whole system on a local data
//! directory; `derive` runs the image pipeline over local files; `dlq` shows and redrives
//! the local queues' dead letters; `backup` and `restore` copy a data directory.
//!
//! A library with one entry, [`run_cli`], so the end-to-end tests (`tests/`) can build the
//! same command as a binary of their own and start it as a separate process.

mod backup;
mod derive;
mod dlq;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// PicPass on one machine.
#[derive(Debug, Parser)]
#[command(name = "picpass", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every function locally: API, storage, processing, archives, reaper, web app.
    Serve(serve::ServeArgs),
    /// Derive thumb and web variants (and a custom one with --spec) from image files.
    Derive(derive::DeriveArgs),
    /// List the local queues' dead letters, or move them back into their queue.
    Dlq(dlq::DlqArgs),
    /// Copy a data directory, consistently, while its server runs.
    Backup(backup::BackupArgs),
    /// Make a new data directory from a backup.
    Restore(backup::RestoreArgs),
}

/// Parses the command line and runs the command.
pub fn run_cli() -> ExitCode {
    let cli = Cli::parse();
    // A server logs each request and job; a batch command only what went wrong.
    let default_level = match cli.command {
        Command::Serve(_) => "info",
        Command::Derive(_) | Command::Dlq(_) | Command::Backup(_) | Command::Restore(_) => "warn",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
        )
        .init();
    match cli.command {
        Command::Serve(args) => serve::run(&args),
        Command::Derive(args) => derive::run(&args),
        Command::Dlq(args) => dlq::run(&args),
        Command::Backup(args) => backup::run_backup(&args),
        Command::Restore(args) => backup::run_restore(&args),
    }
}
