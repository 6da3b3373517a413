//! `papyrus keys`: create, rotate, prune, list and publish the PowerSync signing keys.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Subcommand};

use super::{CliError, CliResult, Output};
use crate::config::{self, BaseArgs, BaseSettings, PowerSyncArgs};
use crate::keys::{self, KeyInfo, KeySet};

/// Tokens minted by hand (`papyrus token mint --ttl`) live at most this long, so
/// pruning can count on it.
pub const MAX_MINTED_TTL: Duration = Duration::from_secs(60 * 60);

/// Extra time a retired key stays published, for clock skew and caches.
const PRUNE_MARGIN: Duration = Duration::from_secs(10 * 60);

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key set with one current key
    Generate(GenerateArgs),
    /// Publish a new key now and start signing with it later, without downtime
    Rotate(RotateArgs),
    /// Drop previous keys that no still-valid token can need
    Prune(PruneArgs),
    /// Show every key, its state and thumbprint
    List(CommonArgs),
    /// Print the public JWKS exactly as the server serves it
    Jwks(JwksArgs),
}

#[derive(Debug, Args)]
pub struct CommonArgs {
    #[command(flatten)]
    pub base: BaseArgs,

    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

fn bits_parser() -> impl TypedValueParser<Value = u32> {
    PossibleValuesParser::new(["2048", "3072", "4096"])
        .map(|bits| bits.parse::<u32>().unwrap_or(keys::DEFAULT_BITS))
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Key id published as `kid` [default: papyrus-<date>-<random>]
    #[arg(long)]
    pub kid: Option<String>,

    /// RSA key size in bits
    #[arg(long, default_value = "2048", value_parser = bits_parser())]
    pub bits: u32,

    /// Replace an existing key set; tokens it signed stop verifying
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// When the new key starts signing. Until then it is only published, so the
    /// PowerSync service (which refetches the JWKS every few minutes) knows it first
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "10m",
        value_parser = humantime::parse_duration,
        conflicts_with = "now"
    )]
    pub activate_in: Duration,

    /// Start signing with the new key at once, e.g. after a suspected compromise;
    /// clients may see one rejected token each until PowerSync refetches the JWKS
    #[arg(long)]
    pub now: bool,

    /// RSA key size in bits
    #[arg(long, default_value = "2048", value_parser = bits_parser())]
    pub bits: u32,

    /// Do not ask for confirmation
    #[arg(long, short)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub powersync: PowerSyncArgs,

    /// Keep previous keys retired less than this long ago [default: the longest token
    /// lifetime plus 10 minutes]. `0s` drops every previous key at once, for a key
    /// that must stop verifying now
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub keep: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct JwksArgs {
    #[command(flatten)]
    pub base: BaseArgs,

    /// Write to this file instead of standard output
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub async fn run(command: KeysCommand) -> CliResult {
    match command {
        KeysCommand::Generate(args) => generate(args),
        KeysCommand::Rotate(args) => rotate(args),
        KeysCommand::Prune(args) => prune(args),
        KeysCommand::List(args) => list(args),
        KeysCommand::Jwks(args) => jwks(args),
    }
}

fn settings(base: &BaseArgs) -> CliResult<BaseSettings> {
    let settings = base.resolve(&config::process_env)?;
    if keys::legacy_key_set(config::process_env)?.is_some() {
        eprintln!(
            "note: POWERSYNC_JWT_PRIVATE_KEY is set; `papyrus serve` signs with it and \
             ignores {}",
            settings.keys_dir.display()
        );
    }
    Ok(settings)
}

fn generate(args: GenerateArgs) -> CliResult {
    let base = settings(&args.common.base)?;
    let key = keys::generate(&base.keys_dir, args.kid, args.bits, args.force, Utc::now())?;

    Output {
        json: args.common.json,
    }
    .print(&key, |key| {
        format!(
            "Generated key {} ({} bits) in {}\nthumbprint {}",
            key.kid,
            key.bits,
            base.keys_dir.display(),
            key.thumbprint
        )
    });
    Ok(())
}

fn rotate(args: RotateArgs) -> CliResult {
    let base = settings(&args.common.base)?;
    let now = Utc::now();
    let delay = if args.now {
        Duration::ZERO
    } else {
        args.activate_in
    };
    let activate_at = now + chrono::Duration::from_std(delay).context("delay too long")?;
    if !args.yes && std::io::stdin().is_terminal() && !confirm_rotation(args.now)? {
        return Err(CliError::Usage("rotation cancelled".into()));
    }

    let summary = keys::rotate(&base.keys_dir, activate_at, args.bits, now)?;
    Output {
        json: args.common.json,
    }
    .print(&summary, |s| {
        format!(
            "Published key {} now; it signs from {} on, when {} retires.\n\
             Run `papyrus keys prune` once tokens signed by {} have expired.",
            s.new_kid, s.activates_at, s.retiring_kid, s.retiring_kid
        )
    });
    Ok(())
}

fn confirm_rotation(immediate: bool) -> CliResult<bool> {
    let prompt = if immediate {
        "Start signing with a new key right now? Clients may see one rejected token"
    } else {
        "Publish a new signing key and schedule its activation?"
    };
    dialoguer::Confirm::new()
        .with_prompt(prompt)
        .default(false)
        .interact()
        .context("cannot read the confirmation")
        .map_err(CliError::from)
}

fn prune(args: PruneArgs) -> CliResult {
    let base = settings(&args.common.base)?;
    let keep = match args.keep {
        Some(keep) => keep,
        None => args.powersync.resolve()?.token_ttl.max(MAX_MINTED_TTL) + PRUNE_MARGIN,
    };
    let keep = chrono::Duration::from_std(keep).context("--keep is too long")?;

    let removed = keys::prune(&base.keys_dir, keep, chrono::Duration::zero(), Utc::now())?;
    Output {
        json: args.common.json,
    }
    .print(&serde_json::json!({ "removed": removed }), |_| {
        if removed.is_empty() {
            "No previous key is old enough to prune.".to_owned()
        } else {
            format!("Removed {}", removed.join(", "))
        }
    });
    Ok(())
}

fn list(args: CommonArgs) -> CliResult {
    let base = settings(&args.base)?;
    let infos = keys::list(&base.keys_dir, Utc::now())?;

    Output { json: args.json }.print(&infos, |infos| table(infos));
    Ok(())
}

fn table(infos: &[KeyInfo]) -> String {
    let time = |t: Option<chrono::DateTime<Utc>>| {
        t.map_or_else(
            || "-".to_owned(),
            |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
        )
    };
    let mut text = format!(
        "{:<32} {:<6} {:<5} {:<9} {:<19} {:<19} {:<19} thumbprint\n",
        "kid", "alg", "bits", "state", "created", "activates", "retired"
    );
    for key in infos {
        text.push_str(&format!(
            "{:<32} {:<6} {:<5} {:<9} {:<19} {:<19} {:<19} {}\n",
            key.kid,
            key.alg,
            key.bits,
            key.state.name(),
            time(Some(key.created_at)),
            time(Some(key.activates_at)),
            time(key.retired_at),
            key.thumbprint
        ));
    }
    text.trim_end().to_owned()
}

fn jwks(args: JwksArgs) -> CliResult {
    let base = settings(&args.base)?;
    let set = match keys::legacy_key_set(config::process_env)? {
        Some(set) => set,
        None => KeySet::load(&base.keys_dir, Utc::now())?,
    };
    let text =
        serde_json::to_string_pretty(&set.jwks(Utc::now())).context("cannot encode the JWKS")?;

    match args.out {
        Some(path) => std::fs::write(&path, format!("{text}\n"))
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => println!("{text}"),
    }
    Ok(())
}
