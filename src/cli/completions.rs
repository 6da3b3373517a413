//! `papyrus completions`: shell completion scripts generated from the command line
//! definition, so they never fall behind it.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, CliResult};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to print completions for
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: CompletionsArgs) -> CliResult {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "papyrus", &mut std::io::stdout());
    Ok(())
}
