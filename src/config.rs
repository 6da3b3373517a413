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

/// How PowerSync tokens are issued; shared by `serve`, `token` and `keys`.
#[derive(Debug, Clone, Default, Args)]
pub struct PowerSyncArgs {
    /// The `aud` claim of PowerSync tokens; must be one of the PowerSync service's
    /// `client_auth.audience` entries [default: papyrus-powersync]
    #[arg(long, env = "POWERSYNC_JWT_AUDIENCE", value_name = "AUDIENCE")]
    pub powersync_audience: Option<String>,

    /// Lifetime of PowerSync tokens, in minutes; at most 1440, the PowerSync service's
    /// limit [default: 5]
    #[arg(long, env = "POWERSYNC_TOKEN_EXPIRE_MINUTES", value_name = "MINUTES")]
    pub powersync_token_expire_minutes: Option<u32>,
}

/// PowerSync token settings, resolved.
#[derive(Debug, Clone)]
pub struct PowerSyncConfig {
    pub audience: String,
    /// False when the audience is the default nobody chose.
    pub audience_explicit: bool,
    pub token_ttl: Duration,
}

impl Default for PowerSyncConfig {
    fn default() -> Self {
        Self {
            audience: DEFAULT_POWERSYNC_AUDIENCE.into(),
            audience_explicit: false,
            token_ttl: Duration::from_secs(5 * 60),
        }
    }
}

pub const DEFAULT_POWERSYNC_AUDIENCE: &str = "papyrus-powersync";
/// The PowerSync service refuses tokens that live longer than a day.
pub const MAX_POWERSYNC_TOKEN_MINUTES: u32 = 24 * 60;

impl PowerSyncArgs {
    pub fn resolve(&self) -> Result<PowerSyncConfig, ConfigError> {
        let mut config = PowerSyncConfig::default();
        if let Some(audience) = self.powersync_audience.as_deref().map(str::trim) {
            if audience.is_empty() {
                return Err(ConfigError::one("POWERSYNC_JWT_AUDIENCE must not be empty"));
            }
            config.audience = audience.to_owned();
            config.audience_explicit = true;
        }
        if let Some(minutes) = self.powersync_token_expire_minutes {
            if minutes == 0 || minutes > MAX_POWERSYNC_TOKEN_MINUTES {
                return Err(ConfigError::one(format!(
                    "POWERSYNC_TOKEN_EXPIRE_MINUTES={minutes} is out of range: PowerSync \
                     accepts tokens living 1 to {MAX_POWERSYNC_TOKEN_MINUTES} minutes"
                )));
            }
            config.token_ttl = Duration::from_secs(u64::from(minutes) * 60);
        }
        Ok(config)
    }
}

/// Options of `papyrus serve`.
#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// Address to listen on, as IP:PORT; overrides HOST and PORT
    #[arg(long, env = "PAPYRUS_BIND", value_name = "ADDR")]
    pub bind: Option<SocketAddr>,

    /// Interface to listen on [default: 127.0.0.1]
    #[arg(long, env = "HOST")]
    pub host: Option<IpAddr>,

    /// Port to listen on [default: 8080]
    #[arg(long, env = "PORT")]
    pub port: Option<u16>,

    /// Path prefix of the API routes [default: /v1]
    #[arg(long, env = "API_PREFIX", value_name = "PATH")]
    pub api_prefix: Option<String>,

    /// Origins allowed by CORS, as a JSON list or comma-separated; `*` allows any
    /// [default: the local Flutter web origins in development, none in production]
    #[arg(long, env = "CORS_ORIGINS", value_name = "ORIGINS")]
    pub cors_origins: Option<String>,

    /// Signing algorithm of access tokens; only HS256 is supported [default: HS256]
    #[arg(long, env = "ALGORITHM")]
    pub algorithm: Option<String>,

    /// Lifetime of access tokens, in minutes [default: 60]
    #[arg(long, env = "ACCESS_TOKEN_EXPIRE_MINUTES", value_name = "MINUTES")]
    pub access_token_expire_minutes: Option<u32>,

    /// Lifetime of a session without a refresh, in days [default: 30]
    #[arg(long, env = "REFRESH_TOKEN_EXPIRE_DAYS", value_name = "DAYS")]
    pub refresh_token_expire_days: Option<u32>,

    /// How long an already-rotated refresh token may be presented again and get the
    /// same answer, for clients that race themselves [default: 10]
    #[arg(long, env = "REFRESH_REUSE_GRACE_SECONDS", value_name = "SECONDS")]
    pub refresh_reuse_grace_seconds: Option<u32>,

    /// Requests per minute per client IP to each unauthenticated auth endpoint;
    /// 0 turns the limit off [default: 5]
    #[arg(long, env = "RATE_LIMIT_AUTH", value_name = "N")]
    pub rate_limit_auth: Option<u32>,

    /// Proxies whose X-Forwarded-For is believed, as IPs or CIDRs, comma-separated
    /// [default: none]
    #[arg(long, env = "TRUSTED_PROXIES", value_name = "LIST")]
    pub trusted_proxies: Option<String>,

    /// Largest accepted request body, in bytes [default: 1048576]
    #[arg(long, env = "PAPYRUS_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,

    /// Public URL of this server, as clients reach it (used in links and redirects)
    #[arg(long, env = "PUBLIC_BASE_URL", value_name = "URL")]
    pub public_base_url: Option<url::Url>,

    /// Public URL of the web app (used in email links)
    #[arg(long, env = "APP_PUBLIC_BASE_URL", value_name = "URL")]
    pub app_public_base_url: Option<url::Url>,

    /// Do not apply pending database migrations at startup
    #[arg(long)]
    pub no_migrate: bool,

    #[command(flatten)]
    pub sync: SyncArgs,
}

/// How uploads from the PowerSync client are taken.
#[derive(Debug, Clone, Default, Args)]
pub struct SyncArgs {
    /// Answer rejected upload transactions with 403/422 instead of 200 with
    /// `"status": "rejected"`. Only for connectors that complete rejected transactions
    /// themselves: the shipping app retries a non-2xx answer forever [default: false]
    #[arg(long, env = "SYNC_STRICT_REJECTIONS", value_name = "BOOL",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub sync_strict_rejections: Option<bool>,

    /// Uploads per minute per user, refilled evenly; 0 turns the limit off [default: 600]
    #[arg(long, env = "RATE_LIMIT_BATCH", value_name = "N")]
    pub rate_limit_batch: Option<u32>,

    /// Uploads a user may send at once before the per-minute rate applies [default: 100]
    #[arg(long, env = "RATE_LIMIT_BATCH_BURST", value_name = "N")]
    pub rate_limit_batch_burst: Option<u32>,

    /// Largest accepted upload body, in bytes [default: 8388608]
    #[arg(long, env = "PAPYRUS_MAX_UPLOAD_BYTES", value_name = "BYTES")]
    pub max_upload_bytes: Option<usize>,

    /// The PowerSync service URL the app connects to, as `/sync/settings` reports it
    /// [default: http://localhost:8081]
    #[arg(long, env = "POWERSYNC_SERVICE_URL", value_name = "URL")]
    pub powersync_service_url: Option<url::Url>,

    /// File storage quota per user reported by `/sync/settings`, in bytes
    /// [default: 1073741824]
    #[arg(long, env = "FILE_STORAGE_QUOTA_BYTES", value_name = "BYTES")]
    pub file_storage_quota_bytes: Option<u64>,
}

/// Upload and sync settings, resolved.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    pub strict_rejections: bool,
    /// Uploads per minute per user; 0 is unlimited.
    pub rate_limit_per_minute: u32,
    pub rate_limit_burst: u32,
    pub max_upload_bytes: usize,
    pub data_sync_url: String,
    pub file_storage_quota_bytes: u64,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            strict_rejections: false,
            rate_limit_per_minute: 600,
            rate_limit_burst: 100,
            max_upload_bytes: 8 * 1024 * 1024,
            data_sync_url: "http://localhost:8081".into(),
            file_storage_quota_bytes: 1024 * 1024 * 1024,
        }
    }
}

impl SyncArgs {
    pub fn resolve(&self) -> SyncConfig {
        let defaults = SyncConfig::default();
        SyncConfig {
            strict_rejections: self
                .sync_strict_rejections
                .unwrap_or(defaults.strict_rejections),
            rate_limit_per_minute: self
                .rate_limit_batch
                .unwrap_or(defaults.rate_limit_per_minute),
            rate_limit_burst: self
                .rate_limit_batch_burst
                .unwrap_or(defaults.rate_limit_burst),
            max_upload_bytes: self.max_upload_bytes.unwrap_or(defaults.max_upload_bytes),
            data_sync_url: self
                .powersync_service_url
                .as_ref()
                .map_or(defaults.data_sync_url, |url| {
                    url.as_str().trim_end_matches('/').into()
                }),
            file_storage_quota_bytes: self
                .file_storage_quota_bytes
                .unwrap_or(defaults.file_storage_quota_bytes),
        }
    }
}

/// What the HTTP server needs, resolved. Tests build this directly.
#[derive(Clone)]
pub struct ServerConfig {
    pub mode: Mode,
    pub api_prefix: String,
    pub cors_origins: CorsOrigins,
    pub trusted_proxies: Vec<IpNet>,
    pub max_body_bytes: usize,
    /// Requests per minute per IP on unauthenticated auth routes; 0 is unlimited.
    pub rate_limit_auth: u32,
    pub public_base_url: Option<url::Url>,
    pub app_public_base_url: Option<url::Url>,
    pub auth: AuthConfig,
    pub powersync: PowerSyncConfig,
    pub sync: SyncConfig,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    Any,
    List(Vec<String>),
}

/// Token lifetimes and the key access tokens are signed with.
#[derive(Clone)]
pub struct AuthConfig {
    pub secret_key: SecretString,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub refresh_reuse_grace: Duration,
}

impl ServerConfig {
    /// Development defaults around a secret; what tests start from.
    pub fn development(secret_key: SecretString) -> Self {
        Self {
            mode: Mode::Development,
            api_prefix: "/v1".into(),
            cors_origins: CorsOrigins::List(dev_cors_origins()),
            trusted_proxies: Vec::new(),
            max_body_bytes: 1024 * 1024,
            rate_limit_auth: 5,
            public_base_url: None,
            app_public_base_url: None,
            auth: AuthConfig {
                secret_key,
                access_token_ttl: Duration::from_secs(60 * 60),
                refresh_token_ttl: Duration::from_secs(30 * 24 * 60 * 60),
                refresh_reuse_grace: Duration::from_secs(10),
            },
            powersync: PowerSyncConfig::default(),
            sync: SyncConfig::default(),
        }
    }
}

fn dev_cors_origins() -> Vec<String> {
    [
        "http://localhost:3000",
        "http://127.0.0.1:3000",
        "http://papyrus.localhost:3000",
    ]
    .map(String::from)
    .to_vec()
}

/// `papyrus serve`'s settings: where to listen, which database, the server config.
pub struct ServeSettings {
    pub base: BaseSettings,
    pub bind: SocketAddr,
    pub migrate: bool,
    pub server: ServerConfig,
}

impl ServeArgs {
    /// Resolves the server settings over already resolved base settings, whose
    /// secret key must be present by now.
    pub fn resolve(
        &self,
        base: BaseSettings,
        secret_key: SecretString,
        powersync: &PowerSyncArgs,
    ) -> Result<ServeSettings, ConfigError> {
        let mut problems = Vec::new();
        let mut server = ServerConfig::development(secret_key);
        server.mode = base.mode;
        match powersync.resolve() {
            Ok(config) => server.powersync = config,
            Err(error) => problems.extend(error.problems),
        }

        if let Some(alg) = &self.algorithm
            && alg != "HS256"
        {
            problems.push(format!("ALGORITHM={alg} is not supported: only HS256 is"));
        }
        match normalise_prefix(self.api_prefix.as_deref().unwrap_or("/v1")) {
            Ok(prefix) => server.api_prefix = prefix,
            Err(p) => problems.push(p),
        }
        match self.cors_origins.as_deref().map(parse_cors_origins) {
            Some(Ok(origins)) => server.cors_origins = origins,
            Some(Err(p)) => problems.push(p),
            None if base.mode == Mode::Production => {
                server.cors_origins = CorsOrigins::List(vec![])
            }
            None => {}
        }
        match self.trusted_proxies.as_deref().map(parse_trusted_proxies) {
            Some(Ok(nets)) => server.trusted_proxies = nets,
            Some(Err(p)) => problems.push(p),
            None => {}
        }
        self.apply_numbers(&mut server, &mut problems);
        server.sync = self.sync.resolve();
        if server.sync.max_upload_bytes < 1024 {
            problems.push("PAPYRUS_MAX_UPLOAD_BYTES must be at least 1024".into());
        }
        server.public_base_url = self.public_base_url.clone();
        server.app_public_base_url = self.app_public_base_url.clone();

        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }
        Ok(ServeSettings {
            bind: self.bind_address(),
            migrate: !self.no_migrate,
            base,
            server,
        })
    }

    fn apply_numbers(&self, server: &mut ServerConfig, problems: &mut Vec<String>) {
        let auth = &mut server.auth;
        if let Some(minutes) = self.access_token_expire_minutes {
            auth.access_token_ttl = Duration::from_secs(u64::from(minutes) * 60);
        }
        if let Some(days) = self.refresh_token_expire_days {
            auth.refresh_token_ttl = Duration::from_secs(u64::from(days) * 24 * 60 * 60);
        }
        if let Some(secs) = self.refresh_reuse_grace_seconds {
            auth.refresh_reuse_grace = Duration::from_secs(u64::from(secs));
        }
        if auth.access_token_ttl.is_zero() {
            problems.push("ACCESS_TOKEN_EXPIRE_MINUTES must be at least 1".into());
        }
        if auth.refresh_token_ttl.is_zero() {
            problems.push("REFRESH_TOKEN_EXPIRE_DAYS must be at least 1".into());
        }
        if let Some(n) = self.rate_limit_auth {
            server.rate_limit_auth = n;
        }
        if let Some(bytes) = self.max_body_bytes {
            server.max_body_bytes = bytes;
        }
        if server.max_body_bytes < 1024 {
            problems.push("PAPYRUS_MAX_BODY_BYTES must be at least 1024".into());
        }
    }

    fn bind_address(&self) -> SocketAddr {
        self.bind.unwrap_or_else(|| {
            let host = self.host.unwrap_or(IpAddr::from([127, 0, 0, 1]));
            SocketAddr::new(host, self.port.unwrap_or(8080))
        })
    }
}

fn normalise_prefix(prefix: &str) -> Result<String, String> {
    let trimmed = prefix.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    if !trimmed.starts_with('/') || trimmed.contains(['?', '#', ' ', '{', '}']) {
        return Err(format!(
            "API_PREFIX={prefix} is not a path: use something like /v1"
        ));
    }
    Ok(trimmed.to_owned())
}

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

pub fn parse_cors_origins(text: &str) -> Result<CorsOrigins, String> {
    let list = parse_list(text).map_err(|e| format!("CORS_ORIGINS is {e}"))?;
    if list.iter().any(|o| o == "*") {
        return Ok(CorsOrigins::Any);
    }
    for origin in &list {
        let valid = url::Url::parse(origin)
            .map(|u| u.has_host() && matches!(u.scheme(), "http" | "https"))
            .unwrap_or(false);
        if !valid {
            return Err(format!(
                "CORS_ORIGINS entry {origin:?} is not an origin like https://app.example.com"
            ));
        }
    }
    Ok(CorsOrigins::List(
        list.into_iter()
            .map(|o| o.trim_end_matches('/').to_owned())
            .collect(),
    ))
}

pub fn parse_trusted_proxies(text: &str) -> Result<Vec<IpNet>, String> {
    let list = parse_list(text).map_err(|e| format!("TRUSTED_PROXIES is {e}"))?;
    list.iter()
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("TRUSTED_PROXIES entry {entry:?} is not an IP or CIDR"))
        })
        .collect()
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

    std::fs::create_dir_all(data_dir)?;
    let secret = crate::auth::tokens::random_token();
    write_private_file(&path, secret.as_bytes())?;
    Ok((SecretString::from(secret), true))
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
