//! `papyrus db`: migrations outside of `serve`.

use anyhow::Context;
use clap::{Args, Subcommand};

use super::{CliResult, Output};
use crate::config::{self, BaseArgs};
use crate::store::DynStore;

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Apply every pending migration
    Migrate(DbArgs),
    /// List applied and pending migrations
    Status(DbArgs),
}

#[derive(Debug, Args)]
pub struct DbArgs {
    #[command(flatten)]
    pub base: BaseArgs,

    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

pub async fn run(command: DbCommand) -> CliResult {
    match command {
        DbCommand::Migrate(args) => migrate(args).await,
        DbCommand::Status(args) => status(args).await,
    }
}

async fn open(args: &DbArgs) -> CliResult<DynStore> {
    let base = args.base.resolve(&config::process_env)?;
    super::common::open_store(&base).await
}

async fn migrate(args: DbArgs) -> CliResult {
    let store = open(&args).await?;
    let applied = store.migrate().await.context("migration failed")?;

    let out = Output { json: args.json };
    out.print(&serde_json::json!({ "applied": applied }), |_| {
        if applied.is_empty() {
            "The database is up to date.".to_owned()
        } else {
            format!("Applied {} migration(s): {:?}", applied.len(), applied)
        }
    });
    Ok(())
}

async fn status(args: DbArgs) -> CliResult {
    let store = open(&args).await?;
    let states = store
        .migration_status()
        .await
        .context("cannot read migrations")?;

    let out = Output { json: args.json };
    out.print(&states, |states| {
        let mut text = format!("{:<16} {:<8} description\n", "version", "state");
        for state in states {
            let label = if state.applied { "applied" } else { "pending" };
            text.push_str(&format!(
                "{:<16} {:<8} {}\n",
                state.version, label, state.description
            ));
        }
        text.trim_end().to_owned()
    });
    Ok(())
}
