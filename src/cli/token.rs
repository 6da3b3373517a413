//! `papyrus token mint`: a token for a user, for curl and CI jobs.

use std::time::Duration;

use anyhow::{Context, anyhow};
use chrono::Utc;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use super::common::{find_user, open_keys, open_store};
use super::keys::MAX_MINTED_TTL;
use super::{CliError, CliResult, Output};
use crate::auth::{Auth, ClientInfo};
use crate::config::{self, AuthConfig, BaseArgs, PowerSyncArgs, ServerConfig};
use crate::store::{DynStore, UserRecord};

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a PowerSync or access token for a user
    Mint(MintArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenKind {
    /// An RS256 token for the PowerSync service
    Powersync,
    /// An access token for papyrus's own API; opens a new session for the user
    Access,
}

#[derive(Debug, Args)]
pub struct MintArgs {
    #[command(flatten)]
    pub base: BaseArgs,

    #[command(flatten)]
    pub powersync: PowerSyncArgs,

    /// The user, by email or id
    #[arg(long, value_name = "EMAIL|ID")]
    pub user: String,

    /// Which token
    #[arg(long, value_enum, default_value_t = TokenKind::Powersync)]
    pub kind: TokenKind,

    /// Lifetime, at most 1h [default: the server's setting for that kind of token]
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub ttl: Option<Duration>,

    /// Print JSON with the token and its expiry instead of the bare token
    #[arg(long)]
    pub json: bool,
}

pub async fn run(command: TokenCommand) -> CliResult {
    match command {
        TokenCommand::Mint(args) => mint(args).await,
    }
}

async fn mint(args: MintArgs) -> CliResult {
    if args
        .ttl
        .is_some_and(|ttl| ttl.is_zero() || ttl > MAX_MINTED_TTL)
    {
        return Err(CliError::Usage("--ttl must be between 1s and 1h".into()));
    }
    let base = args.base.resolve(&config::process_env)?;
    let store = open_store(&base).await?;
    let user = find_user(&store, &args.user).await?;
    if user.is_disabled() {
        return Err(anyhow!("user {} is disabled", args.user).into());
    }

    let (token, ttl) = match args.kind {
        TokenKind::Powersync => powersync_token(&args, &base, &user)?,
        TokenKind::Access => access_token(&args, &base, store, user.clone()).await?,
    };
    tracing::info!(
        target: crate::auth::SECURITY,
        user_id = %user.user_id,
        kind = ?args.kind,
        "token minted from the command line"
    );
    let body = json!({ "token": token, "expires_in": ttl.as_secs(), "user_id": user.user_id });
    Output { json: args.json }.print(&body, |_| token.clone());
    Ok(())
}

fn powersync_token(
    args: &MintArgs,
    base: &config::BaseSettings,
    user: &UserRecord,
) -> CliResult<(String, Duration)> {
    let powersync = args.powersync.resolve()?;
    let keys = open_keys(base)?.ok_or_else(|| {
        anyhow!("PowerSync signing is not configured: run `papyrus keys generate`")
    })?;
    let ttl = args.ttl.unwrap_or(powersync.token_ttl);

    let token = keys.snapshot().sign_powersync(
        &user.user_id.to_string(),
        &powersync.audience,
        chrono::Duration::from_std(ttl).context("ttl too long")?,
        Utc::now(),
    )?;
    Ok((token, ttl))
}

/// Access tokens name a session, so minting one signs the user in on a new one.
async fn access_token(
    args: &MintArgs,
    base: &config::BaseSettings,
    store: DynStore,
    user: UserRecord,
) -> CliResult<(String, Duration)> {
    let secret = match base.secret_key.clone() {
        Some(secret) => secret,
        None => {
            config::ensure_dev_secret(&base.data_dir)
                .context("cannot read the development secret key")?
                .0
        }
    };
    let mut auth_config: AuthConfig = ServerConfig::development(secret).auth;
    if let Some(ttl) = args.ttl {
        auth_config.access_token_ttl = ttl;
    }
    let ttl = auth_config.access_token_ttl;
    let auth = Auth::new(store, auth_config).map_err(|e| anyhow!("{e}"))?;

    let client = ClientInfo {
        client_type: "unknown".into(),
        device_label: Some("papyrus token mint".into()),
    };
    let issued = auth
        .start_session(user, client, Utc::now())
        .await
        .map_err(|e| anyhow!("cannot open a session: {e}"))?;
    eprintln!(
        "note: opened session {} for this token; `papyrus user revoke-sessions` ends it",
        issued.session_id
    );
    Ok((issued.access_token, ttl))
}
