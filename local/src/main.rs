//! `picpass`: PicPass on one machine. `derive` runs the image pipeline over local files;
//! further subcommands (`serve`) plug into [`Command`].

mod derive;

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
    /// Derive thumb and web variants (and a custom one with --spec) from image files.
    Derive(derive::DeriveArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    match Cli::parse().command {
        Command::Derive(args) => derive::run(&args),
    }
}
