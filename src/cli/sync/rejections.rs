//! `papyrus sync rejections`: the upload transactions papyrus refused.

use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use clap::Args;

use crate::cli::{CliResult, Output};
use crate::config::{self, BaseArgs};
use crate::store::{RejectionQuery, RejectionRecord};

#[derive(Debug, Args)]
pub struct RejectionsArgs {
    #[command(flatten)]
    pub base: BaseArgs,

    /// Only this user's rejections, by email or id
    #[arg(long, value_name = "EMAIL|ID")]
    pub user: Option<String>,

    /// Only rejections younger than this, e.g. `24h` or `7d`
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub since: Option<Duration>,

    /// At most this many, newest first
    #[arg(long, default_value_t = 100)]
    pub limit: u32,

    /// Print JSON (with each batch as received) instead of a table
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: RejectionsArgs) -> CliResult {
    let base = args.base.resolve(&config::process_env)?;
    let store = crate::cli::common::open_store(&base).await?;
    let user_id = match &args.user {
        Some(who) => Some(crate::cli::common::find_user(&store, who).await?.user_id),
        None => None,
    };
    let since = match args.since {
        Some(age) => Some(Utc::now() - chrono::Duration::from_std(age).context("--since")?),
        None => None,
    };

    let query = RejectionQuery {
        user_id,
        since,
        limit: i64::from(args.limit),
    };
    let found = store
        .rejections(&query)
        .await
        .context("cannot read the rejection journal")?;
    Output { json: args.json }.print(&found, |found| table(found));
    Ok(())
}

fn table(found: &[RejectionRecord]) -> String {
    if found.is_empty() {
        return "No rejected uploads.".to_owned();
    }
    let mut text = format!(
        "{:<20} {:<28} {:<17} {:<5} {:>8}  message\n",
        "when", "user", "code", "cross", "bytes"
    );
    for r in found {
        text.push_str(&format!(
            "{:<20} {:<28} {:<17} {:<5} {:>8}  {}\n",
            r.created_at.format("%Y-%m-%d %H:%M:%S"),
            r.email.as_deref().unwrap_or("-"),
            r.code,
            if r.cross_user { "yes" } else { "no" },
            r.batch_bytes,
            r.message
        ));
    }
    text.trim_end().to_owned()
}
