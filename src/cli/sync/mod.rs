//! `papyrus sync`: tools for the PowerSync upload path. The work is done in
//! [`crate::simulate`]; these modules parse, run and print.

mod rejections;
mod simulate;

use clap::Subcommand;

use super::CliResult;

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Simulate readers uploading books, and check what the server stored
    Simulate(Box<simulate::SimulateArgs>),
    /// List the upload transactions papyrus rejected, with the batch as received
    Rejections(rejections::RejectionsArgs),
}

pub async fn run(command: SyncCommand) -> CliResult {
    match command {
        SyncCommand::Simulate(args) => simulate::run(*args).await,
        SyncCommand::Rejections(args) => rejections::run(args).await,
    }
}
