//! `papyrus powersync`: the PowerSync service's configuration files and the
//! PostgreSQL set-up it replicates through.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use secrecy::SecretString;
use url::Url;

use super::output::{self, Tone};
use super::{CliError, CliResult, Output, prompt};
use crate::config::{self, BaseArgs, PowerSyncArgs};
use crate::powersync::service::{
    DEFAULT_SERVICE_PORT, DEFAULT_SOURCE_ROLE, SOURCE_PASSWORD_ENV, STORAGE_PASSWORD_ENV,
};
use crate::powersync::{
    self, PowerSyncError, RenderedConfig, SERVICE_FILE, SYNC_CONFIG_FILE, ServiceInputs,
    SetupReport, SetupRequest,
};

const CONFIG_HELP: &str = "\
Passwords are not written into service.yaml: the service reads them from
PS_SOURCE_PASSWORD (the replication role's, POWERSYNC_SOURCE_PASSWORD) and
PS_STORAGE_PASSWORD (the storage database's). The storage database defaults to
powersync_storage on papyrus's PostgreSQL server, as papyrus's database user;
POWERSYNC_STORAGE_URI (or POWERSYNC_STORAGE_URI_FILE) names another. It is read
from the environment only, since it may hold a password.";

const SETUP_HELP: &str = "\
Run it with a DATABASE_URL whose user may create roles with REPLICATION (a
superuser, or CREATEROLE with REPLICATION) and owns the synced tables.

POWERSYNC_SOURCE_PASSWORD (or POWERSYNC_SOURCE_PASSWORD_FILE) is needed to create
the role; on a terminal it is asked for when missing. Given for an existing role,
it is set again unless papyrus can read the stored secret and it already matches.

When wal_level is not logical, setup still creates the role and the publication,
prints the fix (ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL)
and exits 0: everything papyrus can do is done, and the restart is the operator's.
The JSON output's `ready` is false until then.

Exit status: 0 set up (or already set up), 1 the database refused, 2 not
PostgreSQL or a setting is missing.";

#[derive(Debug, Subcommand)]
pub enum PowersyncCommand {
    /// Render the PowerSync service config and sync config from papyrus's settings
    #[command(after_help = CONFIG_HELP)]
    Config(Box<ConfigArgs>),
    /// Prepare PostgreSQL for PowerSync: check wal_level, create the replication
    /// role and the `powersync` publication
    #[command(after_help = SETUP_HELP)]
    Setup(SetupArgs),
}

/// The replication role, shared by `config` (which logs in as it) and `setup`.
#[derive(Debug, Clone, Args)]
pub struct SourceRoleArgs {
    /// The role PowerSync replicates as
    #[arg(
        long,
        env = "POWERSYNC_SOURCE_ROLE",
        value_name = "ROLE",
        default_value = DEFAULT_SOURCE_ROLE
    )]
    pub source_role: String,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub base: BaseArgs,

    #[command(flatten)]
    pub powersync: PowerSyncArgs,

    #[command(flatten)]
    pub role: SourceRoleArgs,

    /// Where the service fetches papyrus's JWKS [default: PUBLIC_BASE_URL +
    /// API_PREFIX + /auth/jwks]
    #[arg(long, env = "POWERSYNC_JWKS_URI", value_name = "URL")]
    pub jwks_uri: Option<Url>,

    /// Public URL of papyrus, as the PowerSync service reaches it
    #[arg(long, env = "PUBLIC_BASE_URL", value_name = "URL")]
    pub public_base_url: Option<Url>,

    /// Path prefix of papyrus's API routes
    #[arg(long, env = "API_PREFIX", value_name = "PATH", default_value = "/v1")]
    pub api_prefix: String,

    /// Port papyrus listens on, for the JWKS URL guessed without PUBLIC_BASE_URL
    #[arg(long, env = "PORT", value_name = "PORT", default_value_t = 8080)]
    pub papyrus_port: u16,

    /// Port the PowerSync service listens on
    #[arg(
        long,
        env = "POWERSYNC_PORT",
        value_name = "PORT",
        default_value_t = DEFAULT_SERVICE_PORT
    )]
    pub powersync_port: u16,

    /// Write service.yaml and sync-config.yaml into this directory (created if
    /// missing) instead of printing them
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    #[command(flatten)]
    pub base: BaseArgs,

    #[command(flatten)]
    pub role: SourceRoleArgs,

    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

pub async fn run(command: PowersyncCommand) -> CliResult {
    match command {
        PowersyncCommand::Config(args) => config(*args),
        PowersyncCommand::Setup(args) => setup(args).await,
    }
}

/// Input papyrus refuses is a usage error; a database that refuses is a failure.
impl From<PowerSyncError> for CliError {
    fn from(error: PowerSyncError) -> Self {
        match error {
            PowerSyncError::NotPostgres
            | PowerSyncError::Invalid(_)
            | PowerSyncError::PasswordRequired(_) => CliError::Usage(error.to_string()),
            other => CliError::Failed(other.into()),
        }
    }
}

fn config(args: ConfigArgs) -> CliResult {
    let base = args.base.resolve(&config::process_env)?;
    let storage_url = config::read_secret("POWERSYNC_STORAGE_URI", &config::process_env)
        .map_err(CliError::Usage)?;
    let inputs = ServiceInputs {
        database_url: base.database_url,
        storage_url,
        source_role: args.role.source_role,
        jwks_uri: args.jwks_uri,
        public_base_url: args.public_base_url,
        api_prefix: args.api_prefix,
        papyrus_port: args.papyrus_port,
        service_port: args.powersync_port,
        powersync: args.powersync.resolve()?,
    };

    let rendered = powersync::render(&powersync::resolve(&inputs)?)?;
    if let Some(dir) = &args.out {
        write_files(dir, &rendered)?;
    }
    print_config(&rendered, args.out.as_deref(), Output { json: args.json });
    Ok(())
}

fn write_files(dir: &Path, rendered: &RenderedConfig) -> CliResult {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, text) in [
        (SERVICE_FILE, &rendered.service_yaml),
        (SYNC_CONFIG_FILE, &rendered.sync_config_yaml),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// The files (or where they went) on standard output; warnings and the variables
/// to set on standard error, so they never end up inside a file.
fn print_config(rendered: &RenderedConfig, out: Option<&Path>, output: Output) {
    warn_all(&rendered.warnings);
    if !output.json {
        eprintln!(
            "note: where the PowerSync service runs, set {SOURCE_PASSWORD_ENV} to the \
             replication role's password (POWERSYNC_SOURCE_PASSWORD) and \
             {STORAGE_PASSWORD_ENV} to the storage database user's password"
        );
    }

    output.print(rendered, |rendered| match out {
        Some(dir) => format!(
            "Wrote {} and {}",
            dir.join(SERVICE_FILE).display(),
            dir.join(SYNC_CONFIG_FILE).display()
        ),
        None => format!(
            "# ---- {SERVICE_FILE} ----\n{}\n# ---- {SYNC_CONFIG_FILE} ----\n{}",
            rendered.service_yaml,
            rendered.sync_config_yaml.trim_end()
        ),
    });
}

async fn setup(args: SetupArgs) -> CliResult {
    let base = args.base.resolve(&config::process_env)?;
    let password = config::read_secret("POWERSYNC_SOURCE_PASSWORD", &config::process_env)
        .map_err(CliError::Usage)?;
    let mut request = SetupRequest {
        role: args.role.source_role,
        password,
    };

    let report = match powersync::setup(&base.database_url, &request).await {
        Err(PowerSyncError::PasswordRequired(role)) if prompt::interactive() => {
            request.password = Some(ask_password(&role)?);
            powersync::setup(&base.database_url, &request).await?
        }
        outcome => outcome?,
    };
    warn_all(&report.warnings);
    Output { json: args.json }.print(&report, setup_text);
    Ok(())
}

fn ask_password(role: &str) -> CliResult<SecretString> {
    let typed = dialoguer::Password::new()
        .with_prompt(format!("Password for the new role {role}"))
        .with_confirmation("Repeat the password", "The passwords do not match")
        .interact()
        .context("cannot read the password")?;
    Ok(SecretString::from(typed))
}

fn setup_text(report: &SetupReport) -> String {
    let color = output::color_enabled_stdout();
    let rows: Vec<Vec<String>> = report
        .steps
        .iter()
        .map(|step| {
            let tone = match step.outcome {
                powersync::Outcome::Unchanged => Tone::Quiet,
                _ => Tone::Good,
            };
            vec![
                step.subject.clone(),
                output::paint(step.outcome.name(), tone, color),
                step.detail.clone().unwrap_or_default(),
            ]
        })
        .collect();

    let summary = match (report.changed, report.ready) {
        (true, true) => "PostgreSQL is set up for PowerSync.",
        (false, true) => "Nothing changed: PostgreSQL was already set up for PowerSync.",
        (true, false) => {
            "The role and the publication are in place; PowerSync can replicate \
                          once wal_level is logical."
        }
        (false, false) => "Nothing changed. PowerSync can replicate once wal_level is logical.",
    };
    let wal = format!("wal_level {}", report.wal_level);
    let table = output::table(&["step", "outcome", "detail"], &rows);
    format!("{table}\n{wal}\n{summary}")
}

fn warn_all(warnings: &[String]) {
    let color = output::color_enabled_stderr();
    for warning in warnings {
        eprintln!(
            "{} {warning}",
            output::paint("warning:", Tone::Caution, color)
        );
    }
}
