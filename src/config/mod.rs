//! Every setting papyrus reads, its environment variable, its default and its checks.
//!
//! Precedence is command-line flag, then environment (a `.env` file in the working
//! directory is loaded into the environment first, without overriding it), then the
//! default. The environment names of the earlier Papyrus server (`HOST`, `PORT`,
//! `SECRET_KEY`, `POSTGRES_*`, ...) keep working so an existing `.env` can be reused.
//!
//! Secrets are never accepted as flags, where they would show in `ps`: `SECRET_KEY`
//! and `POSTGRES_PASSWORD` come from the environment or from a file named by
//! `SECRET_KEY_FILE` / `POSTGRES_PASSWORD_FILE`.
//!
//! Resolving settings never writes anything. Generating the development secret is an
//! explicit step ([`ensure_dev_secret`]) that `serve` takes and logs.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, ValueEnum};
use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};

/// Reads one environment variable; tests pass their own.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment as an [`EnvLookup`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Generates what is missing (secret key, signing keys) and says so.
    #[value(alias = "dev")]
    Development,
    /// Refuses to start unless secrets and the database are given explicitly.
    #[value(alias = "prod")]
    Production,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Development => "development",
            Mode::Production => "production",
        }
    }
}

/// Where papyrus keeps its data and which database it uses; shared by every command.
#[derive(Debug, Clone, Default, Args)]
pub struct BaseArgs {
    /// Database URL, `sqlite://PATH` or `postgres://USER:PASSWORD@HOST:PORT/DB`.
    /// Without it, a PostgreSQL URL is built from POSTGRES_HOST, POSTGRES_PORT,
    /// POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB when POSTGRES_HOST or
    /// POSTGRES_DB is set, else SQLite at <DATA_DIR>/papyrus.db
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_name = "URL")]
    pub database_url: Option<String>,

    /// Directory for the SQLite database, the development secret and the key set
    /// [default: ./papyrus-data]
    #[arg(long, env = "PAPYRUS_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Directory of the PowerSync signing key set [default: <DATA_DIR>/keys]
    #[arg(long, env = "PAPYRUS_KEYS_DIR", value_name = "DIR")]
    pub keys_dir: Option<PathBuf>,

    /// Development or production [default: development]
    #[arg(long = "env", env = "PAPYRUS_ENV", value_name = "MODE")]
    pub mode: Option<Mode>,

    /// Shorthand for --env production
    #[arg(long, conflicts_with = "mode")]
    pub production: bool,
}

/// The settings every command shares, resolved.
#[derive(Clone)]
pub struct BaseSettings {
    pub mode: Mode,
    pub data_dir: PathBuf,
    pub keys_dir: PathBuf,
    pub database_url: String,
    /// False when the database is the SQLite default nobody asked for.
    pub database_explicit: bool,
    /// `SECRET_KEY`, when given. In development `serve` fills it in.
    pub secret_key: Option<SecretString>,
}

impl std::fmt::Debug for BaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BaseSettings")
            .field("mode", &self.mode)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &crate::store::redact_url(&self.database_url),
            )
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// Why settings could not be resolved; every problem at once, so one run shows
/// everything there is to fix.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", .problems.join("\n  - "))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

impl ConfigError {
    pub fn one(problem: impl Into<String>) -> Self {
        Self {
            problems: vec![problem.into()],
        }
    }
}

/// Minimum length of a production `SECRET_KEY`, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

impl BaseArgs {
    pub fn resolve(&self, env: EnvLookup<'_>) -> Result<BaseSettings, ConfigError> {
        let mut problems = Vec::new();
        let mode = if self.production {
            Mode::Production
        } else {
            self.mode.unwrap_or(Mode::Development)
        };
        let data_dir = self
            .data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("./papyrus-data"));

        let secret_key = read_secret("SECRET_KEY", env).unwrap_or_else(|p| {
            problems.push(p);
            None
        });
        let (database_url, database_explicit) = match self.database_url.clone() {
            Some(url) => (url, true),
            None => match postgres_url_from_parts(env) {
                Some(url) => (url, true),
                None => (default_sqlite_url(&data_dir), false),
            },
        };

        if mode == Mode::Production {
            problems.extend(production_problems(secret_key.as_ref(), database_explicit));
        }
        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }

        Ok(BaseSettings {
            mode,
            keys_dir: self
                .keys_dir
                .clone()
                .unwrap_or_else(|| data_dir.join("keys")),
            data_dir,
            database_url,
            database_explicit,
            secret_key,
        })
    }
}

fn production_problems(secret: Option<&SecretString>, database_explicit: bool) -> Vec<String> {
    let mut problems = Vec::new();
    match secret {
        None => problems.push(format!(
            "SECRET_KEY is not set: production needs an explicit secret of at least \
             {MIN_SECRET_BYTES} bytes (e.g. `openssl rand -base64 48`)"
        )),
        Some(s) if s.expose_secret().len() < MIN_SECRET_BYTES => problems.push(format!(
            "SECRET_KEY is {} bytes long: production needs at least {MIN_SECRET_BYTES}",
            s.expose_secret().len()
        )),
        Some(_) => {}
    }
    if !database_explicit {
        problems.push(
            "no database configured: production needs DATABASE_URL (or POSTGRES_HOST and \
             POSTGRES_DB)"
                .to_owned(),
        );
    }
    problems
}

/// A secret from `NAME` or from the file `NAME_FILE` names (trailing newline dropped).
pub fn read_secret(name: &str, env: EnvLookup<'_>) -> Result<Option<SecretString>, String> {
    if let Some(value) = env(name) {
        return Ok(Some(SecretString::from(value)));
    }
    let Some(path) = env(&format!("{name}_FILE")) else {
        return Ok(None);
    };

    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{name}_FILE: cannot read {path}: {e}"))?;
    let value = text.trim_end_matches(['\r', '\n']).to_owned();
    if value.is_empty() {
        return Err(format!("{name}_FILE: {path} is empty"));
    }
    Ok(Some(SecretString::from(value)))
}

/// The URL the earlier server built from its `POSTGRES_*` variables.
fn postgres_url_from_parts(env: EnvLookup<'_>) -> Option<String> {
    let host = env("POSTGRES_HOST");
    let db = env("POSTGRES_DB");
    if host.is_none() && db.is_none() {
        return None;
    }

    let mut url = url::Url::parse("postgres://localhost").ok()?;
    url.set_host(Some(host.as_deref().unwrap_or("localhost")))
        .ok()?;
    let port = env("POSTGRES_PORT")
        .and_then(|p| p.parse().ok())
        .unwrap_or(5432);
    url.set_port(Some(port)).ok()?;
    url.set_username(&env("POSTGRES_USER").unwrap_or_else(|| "postgres".into()))
        .ok()?;
    let password = read_secret("POSTGRES_PASSWORD", env).ok().flatten();
    if let Some(password) = password {
        url.set_password(Some(password.expose_secret())).ok()?;
    }
    url.set_path(db.as_deref().unwrap_or("papyrus"));
    Some(url.to_string())
}

pub fn default_sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("papyrus.db").display())
}

mod email;
mod oauth;
mod powersync;
mod serve;
mod sync;

pub use email::*;
pub use oauth::*;
pub use powersync::*;
pub use serve::*;
pub use sync::*;

/// A JSON list or comma-separated list, as the earlier server accepted.
fn parse_list(text: &str) -> Result<Vec<String>, String> {
    let text = text.trim();
    if text.starts_with('[') {
        return serde_json::from_str::<Vec<String>>(text)
            .map_err(|e| format!("not a JSON list of strings: {e}"));
    }
    Ok(text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect())
}

/// The secret kept in the data directory for development, created on first use.
/// Returns the secret and whether it was generated now.
pub fn ensure_dev_secret(data_dir: &Path) -> std::io::Result<(SecretString, bool)> {
    let path = data_dir.join("secret_key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let text = text.trim();
        if !text.is_empty() {
            return Ok((SecretString::from(text.to_owned()), false));
        }
    }

    create_private_dir(data_dir)?;
    let secret = crate::auth::tokens::random_token();
    write_private_file(&path, secret.as_bytes())?;
    Ok((SecretString::from(secret), true))
}

/// Creates a directory (and its parents) that only its owner can enter, for data
/// that includes password hashes and secrets. An existing directory keeps its mode.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Writes a file readable by its owner only, replacing it atomically.
pub fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;

    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(&tmp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn defaults_to_development_sqlite() {
        let base = BaseArgs::default().resolve(&lookup(&[])).unwrap();
        assert_eq!(base.mode, Mode::Development);
        assert_eq!(base.database_url, "sqlite://./papyrus-data/papyrus.db");
        assert!(!base.database_explicit);
        assert!(base.secret_key.is_none());
    }

    #[test]
    fn production_names_every_missing_setting() {
        let args = BaseArgs {
            production: true,
            ..Default::default()
        };
        let error = args.resolve(&lookup(&[])).unwrap_err();
        assert_eq!(error.problems.len(), 2, "{error}");
        assert!(error.to_string().contains("SECRET_KEY"));
        assert!(error.to_string().contains("DATABASE_URL"));

        let short = lookup(&[("SECRET_KEY", "short"), ("POSTGRES_DB", "x")]);
        let error = args.resolve(&short).unwrap_err();
        assert_eq!(error.problems.len(), 1);
        assert!(error.problems[0].contains("5 bytes"));
    }

    #[test]
    fn postgres_url_is_built_from_legacy_parts() {
        let env = lookup(&[
            ("POSTGRES_HOST", "db.internal"),
            ("POSTGRES_USER", "papyrus"),
            ("POSTGRES_PASSWORD", "p@ss word"),
            ("POSTGRES_DB", "papyrus"),
            ("POSTGRES_PORT", "6543"),
        ]);
        let base = BaseArgs::default().resolve(&env).unwrap();
        assert_eq!(
            base.database_url,
            "postgres://papyrus:p%40ss%20word@db.internal:6543/papyrus"
        );
        assert!(base.database_explicit);
        assert!(!format!("{base:?}").contains("p%40ss"));
    }

    #[test]
    fn lists_parse_as_json_or_commas() {
        assert_eq!(
            parse_cors_origins(r#"["http://a.test", "https://b.test/"]"#).unwrap(),
            CorsOrigins::List(vec!["http://a.test".into(), "https://b.test".into()])
        );
        assert_eq!(parse_cors_origins("*").unwrap(), CorsOrigins::Any);
        assert!(parse_cors_origins("not an origin").is_err());
        let nets = parse_trusted_proxies("10.0.0.0/8, 127.0.0.1").unwrap();
        assert_eq!(nets.len(), 2);
        assert!(parse_trusted_proxies("nope").is_err());
    }

    #[test]
    fn serve_rejects_other_algorithms_and_bad_prefixes() {
        let base = BaseArgs::default().resolve(&lookup(&[])).unwrap();
        let args = ServeArgs {
            algorithm: Some("RS256".into()),
            api_prefix: Some("v1?x".into()),
            ..Default::default()
        };
        let powersync = PowerSyncArgs {
            powersync_token_expire_minutes: Some(1441),
            ..Default::default()
        };
        let error = args
            .resolve(base, SecretString::from("k"), &powersync)
            .err()
            .unwrap();
        assert_eq!(error.problems.len(), 3, "{error}");
        assert!(
            error
                .to_string()
                .contains("POWERSYNC_TOKEN_EXPIRE_MINUTES=1441")
        );
    }

    #[test]
    fn dev_secret_is_generated_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let (first, generated) = ensure_dev_secret(dir.path()).unwrap();
        assert!(generated);
        let (second, generated) = ensure_dev_secret(dir.path()).unwrap();
        assert!(!generated);
        assert_eq!(first.expose_secret(), second.expose_secret());
        assert!(first.expose_secret().len() >= 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secret_key"))
                .unwrap()
                .permissions();
            assert_eq!(mode.mode() & 0o777, 0o600);
        }
    }
}
