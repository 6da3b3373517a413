//! The `papyrus` command line: one module per command group, each with its
//! arguments and a `run` function. This module only parses and dispatches.

mod common;
mod completions;
mod db;
mod doctor;
mod keys;
mod output;
mod powersync;
mod prompt;
mod serve;
mod sync;
mod token;
mod user;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::ConfigError;

pub use output::Output;

const EXIT_STATUSES: &str = "\
Exit status:
  0  success
  1  the operation failed (database unreachable, server error, ...)
  2  usage or configuration error

Secrets are read from the environment, never from flags: SECRET_KEY (or
SECRET_KEY_FILE) and POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE). A .env file in
the working directory is loaded first; variables already set win.";

/// The server side of the Papyrus reading app: auth, PowerSync credentials, uploads.
#[derive(Debug, Parser)]
#[command(name = "papyrus", version, after_help = EXIT_STATUSES)]
pub struct Cli {
    /// Log format on standard error
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t = LogFormat::Pretty,
        env = "PAPYRUS_LOG_FORMAT"
    )]
    pub log_format: LogFormat,

    /// More logging: -v for debug, -vv for trace (RUST_LOG overrides)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server
    Serve(Box<serve::ServeCommand>),
    /// Apply or inspect database migrations
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Manage the PowerSync signing keys
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Mint tokens for a user
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Manage accounts: create, list, show, disable, delete, sessions
    #[command(subcommand)]
    User(user::UserCommand),
    /// Exercise the PowerSync upload path: simulate readers and check what is stored
    #[command(subcommand)]
    Sync(sync::SyncCommand),
    /// Check the set-up and say how to fix what is wrong
    Doctor(Box<doctor::DoctorArgs>),
    /// Configure a PowerSync service for papyrus and prepare PostgreSQL for it
    #[command(subcommand)]
    Powersync(powersync::PowersyncCommand),
    /// Print shell completions
    Completions(completions::CompletionsArgs),
}

/// Why a command failed, and so its exit status.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Usage(String),
    #[error("{0:#}")]
    Failed(#[from] anyhow::Error),
    #[error(transparent)]
    Keys(#[from] crate::keys::KeyError),
}

impl CliError {
    fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Config(_) | CliError::Usage(_) => ExitCode::from(2),
            CliError::Failed(_) | CliError::Keys(_) => ExitCode::from(1),
        }
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;

/// Input the account rules refuse is a usage error; anything else failed.
impl From<crate::admin::AdminError> for CliError {
    fn from(error: crate::admin::AdminError) -> Self {
        match error {
            crate::admin::AdminError::Invalid(_) => CliError::Usage(error.to_string()),
            other => CliError::Failed(other.into()),
        }
    }
}

/// Parses the command line, runs the command and turns the outcome into an exit code.
pub fn main() -> ExitCode {
    let dotenv = load_dotenv();
    let cli = Cli::parse();
    init_logging(cli.log_format, cli.verbose);
    if let Err(problem) = dotenv {
        tracing::warn!("ignoring .env: {problem}");
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            error.exit_code()
        }
    }
}

async fn run(command: Command) -> CliResult {
    match command {
        Command::Serve(args) => serve::run(*args).await,
        Command::Db(args) => db::run(args).await,
        Command::Keys(args) => keys::run(args).await,
        Command::Token(args) => token::run(args).await,
        Command::User(args) => user::run(args).await,
        Command::Sync(args) => sync::run(args).await,
        Command::Doctor(args) => doctor::run(*args).await,
        Command::Powersync(args) => powersync::run(args).await,
        Command::Completions(args) => completions::run(args),
    }
}

/// Loads `./.env` without overriding variables already set.
fn load_dotenv() -> Result<(), String> {
    match dotenvy::from_path(".env") {
        Ok(()) => Ok(()),
        Err(dotenvy::Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

fn init_logging(format: LogFormat, verbose: u8) {
    use tracing_subscriber::EnvFilter;

    let default = match verbose {
        0 => "info,sqlx=warn",
        1 => "debug,sqlx=info,hyper=info",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Pretty => builder.with_ansi(output::color_enabled_stderr()).init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
