//! `papyrus doctor`: checks the set-up `serve` would start with and prints a line per
//! check, with the fix for each problem. The checks live in [`crate::doctor`].

use anyhow::anyhow;
use clap::Args;
use serde_json::json;

use super::output::{self, Tone, paint};
use super::{CliResult, Output};
use crate::config::{self, BaseArgs, PowerSyncArgs, ServeArgs};
use crate::doctor::{self, Check, Setup, Status};

/// The same settings as `serve`, so the doctor examines exactly what `serve` would use.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub base: BaseArgs,

    #[command(flatten)]
    pub serve: ServeArgs,

    #[command(flatten)]
    pub powersync: PowerSyncArgs,

    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: DoctorArgs) -> CliResult {
    let setup = Setup {
        base: &args.base,
        serve: &args.serve,
        powersync: &args.powersync,
        env: &config::process_env,
    };
    let checks = doctor::run(&setup).await;
    let failures = doctor::failures(&checks);

    let body = json!({ "ok": failures == 0, "failures": failures, "checks": checks });
    Output { json: args.json }.print(&body, |_| report(&checks));
    if failures > 0 {
        return Err(anyhow!("{failures} check(s) failed").into());
    }
    Ok(())
}

fn report(checks: &[Check]) -> String {
    let color = output::color_enabled_stdout();
    let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut lines = Vec::with_capacity(checks.len());
    for check in checks {
        let label = paint(
            &format!("{:<4}", check.status.name()),
            tone(check.status),
            color,
        );
        lines.push(format!(
            "{label}  {:<width$}  {}",
            check.name, check.message
        ));
        if let Some(fix) = &check.fix {
            lines.push(format!("      {:<width$}  fix: {fix}", ""));
        }
    }
    lines.join("\n")
}

fn tone(status: Status) -> Tone {
    match status {
        Status::Pass => Tone::Good,
        Status::Warn => Tone::Caution,
        Status::Fail => Tone::Bad,
        Status::Skip => Tone::Quiet,
    }
}
