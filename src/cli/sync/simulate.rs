//! `papyrus sync simulate`: parses the flags, runs [`crate::simulate`] with a
//! progress bar, and prints the summary.

use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use url::Url;

use crate::cli::output::{Tone, color_enabled_stdout, paint};
use crate::cli::{CliError, CliResult, Output};
use crate::simulate::{self, Difference, Outcome, Report, Settings};
use crate::store::redact_url;

const SIMULATE_HELP: &str = "\
Each reader is an account sim-<seed>-<n>@example.test with a password derived from
the seed: run this against test servers only. A later run with the same seed logs the
same readers in; change --transactions or --ops only with a new seed (or a fresh
database), or the books of the earlier run show up as extra rows.

Sign-ins are rate limited per address (RATE_LIMIT_AUTH, 5 a minute by default), and
the simulation waits out every 429. For more than a handful of readers, start the
server with RATE_LIMIT_AUTH=0 or a high value.

Exit status: 0 when every answer was the expected one and every row matched, 1 when
anything differed or the run could not finish, 2 for usage errors.";

#[derive(Debug, Args)]
#[command(after_help = SIMULATE_HELP)]
pub struct SimulateArgs {
    /// The papyrus server, e.g. http://127.0.0.1:8080
    #[arg(long, value_name = "URL", env = "PAPYRUS_SIMULATE_SERVER")]
    pub server: Url,

    /// Simulated readers, each its own account
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub users: u32,

    /// Transactions each reader uploads
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub transactions: u32,

    /// The most entries in one transaction
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub ops: u32,

    /// Readers uploading at the same time
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub concurrency: u32,

    /// Seed of the random content; the same seed sends the same transactions
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Also send transactions the server must reject whole: a row another reader
    /// owns, an unknown field, a wrong type, a create without a title
    #[arg(long)]
    pub faults: bool,

    /// The server's database: compare its books with the model at the end
    #[arg(
        long,
        value_name = "URL",
        env = "PAPYRUS_SIMULATE_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    /// Print the summary as JSON, without a progress bar
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: SimulateArgs) -> CliResult {
    let settings = Settings {
        server: args.server.clone(),
        users: args.users,
        transactions: args.transactions,
        ops: args.ops,
        concurrency: args.concurrency as usize,
        seed: args.seed,
        faults: args.faults,
    };
    let bar = progress_bar(&args);

    let ticker = bar.clone();
    let outcome = simulate::simulate(&settings, Arc::new(move || ticker.inc(1))).await;
    bar.finish_and_clear();
    let outcome = outcome.context("the simulation stopped")?;

    let differences = match &args.database_url {
        Some(url) => Some(compare(url, &outcome).await?),
        None => None,
    };

    let report = Report::new(&outcome, differences.as_deref());
    Output { json: args.json }.print(&report, |report| summary(report, color_enabled_stdout()));
    if !report.ok {
        let found = report.mismatches;
        return Err(CliError::Failed(anyhow!(
            "the simulation found {found} mismatches"
        )));
    }
    Ok(())
}

async fn compare(database_url: &str, outcome: &Outcome) -> CliResult<Vec<Difference>> {
    let differences = simulate::check_database(database_url, outcome)
        .await
        .with_context(|| format!("cannot compare with {}", redact_url(database_url)))?;
    Ok(differences)
}

/// A bar over every transaction, drawn on standard error, hidden for `--json`
/// and when standard output is not a terminal.
fn progress_bar(args: &SimulateArgs) -> ProgressBar {
    if args.json || !std::io::stdout().is_terminal() {
        return ProgressBar::hidden();
    }

    let total = u64::from(args.users) * u64::from(args.transactions);
    let style = ProgressStyle::with_template(
        "{bar:40.cyan/blue} {pos}/{len} transactions  {per_sec}  eta {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    ProgressBar::new(total).with_style(style)
}

fn summary(report: &Report, color: bool) -> String {
    let verdict = if report.ok {
        paint("OK", Tone::Good, color)
    } else {
        paint("FAILED", Tone::Bad, color)
    };
    let heading = format!(
        "{verdict}: {} readers, seed {}, {:.2} s",
        report.users, report.seed, report.elapsed_seconds
    );

    let mut lines = vec![heading];
    lines.extend(counts(report));
    lines.extend(
        report
            .details
            .iter()
            .map(|detail| format!("    - {detail}")),
    );
    if report.mismatches > report.details.len() {
        lines.push(format!(
            "    and {} more",
            report.mismatches - report.details.len()
        ));
    }
    lines.join("\n")
}

fn counts(report: &Report) -> [String; 5] {
    let latency = &report.latency_ms;
    let database = if report.database_checked {
        format!("compared, {} rows differ", report.row_differences)
    } else {
        "not compared (pass --database-url)".to_owned()
    };

    [
        format!(
            "  transactions  {} answered: {} applied, {} rejected ({} faults sent), {} retries",
            report.transactions_answered,
            report.applied,
            report.rejected,
            report.faults_sent,
            report.retries
        ),
        format!(
            "  throughput    {:.1} transactions/s, {} rows written ({:.1}/s)",
            report.transactions_per_second, report.rows_written, report.rows_per_second
        ),
        format!(
            "  latency       p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            latency.p50, latency.p95, latency.p99, latency.max
        ),
        format!("  database      {database}"),
        format!("  mismatches    {}", report.mismatches),
    ]
}
