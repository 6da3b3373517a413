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
    pub email: EmailArgs,

    #[command(flatten)]
    pub sync: SyncArgs,

    #[command(flatten)]
    pub oauth: OAuthArgs,
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
    pub email: EmailConfig,
    pub oauth: OAuthConfig,
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
            email: EmailConfig::default(),
            oauth: OAuthConfig::default(),
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
        match self.email.resolve(&process_env) {
            Ok(email) => server.email = email,
            Err(error) => problems.extend(error.problems),
        }
        // GOOGLE_OAUTH_CLIENT_SECRET is read from the process environment even when the
        // caller resolves with another one, as the doctor does.
        match self
            .oauth
            .resolve(&process_env, base.mode, server.public_base_url.as_ref())
        {
            Ok(oauth) => server.oauth = oauth,
            Err(error) => problems.extend(error.problems),
        }

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

/// Google sign-in (any OpenID Connect provider works through the endpoint overrides).
/// The client secret is read from GOOGLE_OAUTH_CLIENT_SECRET or the file
/// GOOGLE_OAUTH_CLIENT_SECRET_FILE names, never from a flag.
#[derive(Debug, Clone, Default, Args)]
pub struct OAuthArgs {
    /// Client id of papyrus's Google OAuth client; Google sign-in is off unless it and
    /// GOOGLE_OAUTH_CLIENT_SECRET are set
    #[arg(long, env = "GOOGLE_OAUTH_CLIENT_ID", value_name = "ID")]
    pub google_oauth_client_id: Option<String>,

    /// papyrus's own callback as registered with Google [default:
    /// <PUBLIC_BASE_URL><API_PREFIX>/auth/oauth/google/callback; in development without
    /// PUBLIC_BASE_URL, http://<Host header> instead]
    #[arg(long, env = "GOOGLE_OAUTH_REDIRECT_URI", value_name = "URL")]
    pub google_oauth_redirect_uri: Option<url::Url>,

    /// Authorization endpoint [default: https://accounts.google.com/o/oauth2/v2/auth]
    #[arg(long, env = "GOOGLE_OAUTH_AUTHORIZATION_URL", value_name = "URL")]
    pub google_oauth_authorization_url: Option<url::Url>,

    /// Token endpoint [default: https://oauth2.googleapis.com/token]
    #[arg(long, env = "GOOGLE_OAUTH_TOKEN_URL", value_name = "URL")]
    pub google_oauth_token_url: Option<url::Url>,

    /// Key set the ID tokens are signed with
    /// [default: https://www.googleapis.com/oauth2/v3/certs]
    #[arg(long, env = "GOOGLE_OAUTH_JWKS_URL", value_name = "URL")]
    pub google_oauth_jwks_url: Option<url::Url>,

    /// The `iss` claim ID tokens must carry [default: https://accounts.google.com]
    #[arg(long, env = "GOOGLE_OAUTH_ISSUER", value_name = "ISSUER")]
    pub google_oauth_issuer: Option<String>,

    /// URL schemes the app's callback may use, comma-separated [default: papyrus]
    #[arg(long, env = "OAUTH_ALLOWED_REDIRECT_SCHEMES", value_name = "LIST")]
    pub oauth_allowed_redirect_schemes: Option<String>,

    /// Hosts an http(s) app callback may point at, comma-separated, besides the hosts
    /// of PUBLIC_BASE_URL and APP_PUBLIC_BASE_URL (and localhost in development)
    /// [default: none]
    #[arg(long, env = "OAUTH_ALLOWED_REDIRECT_HOSTS", value_name = "LIST")]
    pub oauth_allowed_redirect_hosts: Option<String>,

    /// How long a started sign-in may take at the provider, in minutes [default: 10]
    #[arg(long, env = "OAUTH_STATE_EXPIRE_MINUTES", value_name = "MINUTES")]
    pub oauth_state_expire_minutes: Option<u32>,

    /// How long the app has to exchange its one-time code, in minutes [default: 5]
    #[arg(
        long,
        env = "AUTH_EXCHANGE_CODE_EXPIRE_MINUTES",
        value_name = "MINUTES"
    )]
    pub auth_exchange_code_expire_minutes: Option<u32>,
}

/// Provider sign-in settings, resolved.
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    /// `None` when Google sign-in is not configured.
    pub google: Option<ProviderConfig>,
    /// Lower-case schemes of app callbacks; never http or https.
    pub allowed_redirect_schemes: Vec<String>,
    /// Lower-case hosts of http(s) app callbacks, besides the public base URLs' hosts.
    pub allowed_redirect_hosts: Vec<String>,
    pub state_ttl: Duration,
    pub exchange_code_ttl: Duration,
}

impl Default for OAuthConfig {
    fn default() -> Self {
        Self {
            google: None,
            allowed_redirect_schemes: vec!["papyrus".into()],
            allowed_redirect_hosts: Vec::new(),
            state_ttl: Duration::from_secs(10 * 60),
            exchange_code_ttl: Duration::from_secs(5 * 60),
        }
    }
}

/// One OpenID Connect client: who papyrus is at the provider and where the provider is.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub client_id: String,
    pub client_secret: SecretString,
    /// papyrus's callback when set explicitly; else derived (see [`OAuthArgs`]).
    pub redirect_uri: Option<url::Url>,
    pub authorization_url: url::Url,
    pub token_url: url::Url,
    pub jwks_url: url::Url,
    pub issuer: String,
}

impl ProviderConfig {
    /// Google's endpoints around a client id and secret.
    pub fn google(client_id: String, client_secret: SecretString) -> Self {
        let parse = |text: &str| {
            url::Url::parse(text).unwrap_or_else(|_| unreachable!("a valid constant URL"))
        };
        Self {
            client_id,
            client_secret,
            redirect_uri: None,
            authorization_url: parse("https://accounts.google.com/o/oauth2/v2/auth"),
            token_url: parse("https://oauth2.googleapis.com/token"),
            jwks_url: parse("https://www.googleapis.com/oauth2/v3/certs"),
            issuer: "https://accounts.google.com".into(),
        }
    }
}

/// Schemes an app callback may never be allowed through the scheme list: the web
/// schemes are governed by the host list, the others run or read local content.
const FORBIDDEN_REDIRECT_SCHEMES: [&str; 7] = [
    "http",
    "https",
    "javascript",
    "data",
    "file",
    "blob",
    "vbscript",
];

impl OAuthArgs {
    /// `public_base_url` is the resolved PUBLIC_BASE_URL: production needs it, or an
    /// explicit GOOGLE_OAUTH_REDIRECT_URI, because the request's Host header cannot
    /// be trusted to name papyrus.
    pub fn resolve(
        &self,
        env: EnvLookup<'_>,
        mode: Mode,
        public_base_url: Option<&url::Url>,
    ) -> Result<OAuthConfig, ConfigError> {
        let mut problems = Vec::new();
        let mut config = OAuthConfig::default();
        match self.provider(env) {
            Ok(google) => config.google = google,
            Err(problem) => problems.push(problem),
        }
        let derived = config
            .google
            .as_ref()
            .is_some_and(|g| g.redirect_uri.is_none());
        if derived && public_base_url.is_none() && mode == Mode::Production {
            problems.push(
                "Google sign-in in production needs PUBLIC_BASE_URL or \
                 GOOGLE_OAUTH_REDIRECT_URI to name papyrus's callback"
                    .into(),
            );
        }

        if let Some(text) = &self.oauth_allowed_redirect_schemes {
            match parse_redirect_schemes(text) {
                Ok(schemes) => config.allowed_redirect_schemes = schemes,
                Err(problem) => problems.push(problem),
            }
        }
        if let Some(text) = &self.oauth_allowed_redirect_hosts {
            match parse_list(text) {
                Ok(hosts) => config.allowed_redirect_hosts = lower(hosts),
                Err(e) => problems.push(format!("OAUTH_ALLOWED_REDIRECT_HOSTS is {e}")),
            }
        }
        self.apply_lifetimes(&mut config, &mut problems);

        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }
        Ok(config)
    }

    fn provider(&self, env: EnvLookup<'_>) -> Result<Option<ProviderConfig>, String> {
        let secret = read_secret("GOOGLE_OAUTH_CLIENT_SECRET", env)?;
        let id = self.google_oauth_client_id.as_deref().map(str::trim);
        let (id, secret) = match (id, secret) {
            (None, None) => return Ok(None),
            (Some(id), Some(secret)) if !id.is_empty() => (id.to_owned(), secret),
            _ => {
                return Err(
                    "GOOGLE_OAUTH_CLIENT_ID and GOOGLE_OAUTH_CLIENT_SECRET must be \
                            set together"
                        .into(),
                );
            }
        };

        let mut google = ProviderConfig::google(id, secret);
        google.redirect_uri = self.google_oauth_redirect_uri.clone();
        let overrides = [
            (
                &mut google.authorization_url,
                &self.google_oauth_authorization_url,
            ),
            (&mut google.token_url, &self.google_oauth_token_url),
            (&mut google.jwks_url, &self.google_oauth_jwks_url),
        ];
        for (target, given) in overrides {
            if let Some(url) = given {
                *target = url.clone();
            }
        }
        if let Some(issuer) = self.google_oauth_issuer.as_deref().map(str::trim) {
            google.issuer = issuer.to_owned();
        }
        Ok(Some(google))
    }

    fn apply_lifetimes(&self, config: &mut OAuthConfig, problems: &mut Vec<String>) {
        let lifetimes = [
            (
                "OAUTH_STATE_EXPIRE_MINUTES",
                self.oauth_state_expire_minutes,
                &mut config.state_ttl,
            ),
            (
                "AUTH_EXCHANGE_CODE_EXPIRE_MINUTES",
                self.auth_exchange_code_expire_minutes,
                &mut config.exchange_code_ttl,
            ),
        ];
        for (name, minutes, target) in lifetimes {
            match minutes {
                Some(0) => problems.push(format!("{name} must be at least 1")),
                Some(minutes) => *target = Duration::from_secs(u64::from(minutes) * 60),
                None => {}
            }
        }
    }
}

fn lower(list: Vec<String>) -> Vec<String> {
    list.into_iter().map(|s| s.to_ascii_lowercase()).collect()
}

fn parse_redirect_schemes(text: &str) -> Result<Vec<String>, String> {
    let schemes =
        lower(parse_list(text).map_err(|e| format!("OAUTH_ALLOWED_REDIRECT_SCHEMES is {e}"))?);
    for scheme in &schemes {
        let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !valid || FORBIDDEN_REDIRECT_SCHEMES.contains(&scheme.as_str()) {
            return Err(format!(
                "OAUTH_ALLOWED_REDIRECT_SCHEMES entry {scheme:?} is not allowed: list app \
                 schemes like papyrus; web callbacks go in OAUTH_ALLOWED_REDIRECT_HOSTS"
            ));
        }
    }
    Ok(schemes)
}

/// How papyrus sends verification and password reset emails.
#[derive(Debug, Clone, Default, Args)]
pub struct EmailArgs {
    /// Send verification and password reset emails over SMTP; needs SMTP_HOST,
    /// SMTP_FROM_EMAIL and APP_PUBLIC_BASE_URL [default: false]
    #[arg(long, env = "EMAIL_DELIVERY_ENABLED", value_name = "BOOL",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub email_delivery_enabled: Option<bool>,

    /// Host name of the SMTP server
    #[arg(long, env = "SMTP_HOST", value_name = "HOST")]
    pub smtp_host: Option<String>,

    /// Port of the SMTP server [default: 587; 465 with SMTP_USE_SSL; 25 in the clear]
    #[arg(long, env = "SMTP_PORT", value_name = "PORT")]
    pub smtp_port: Option<u16>,

    /// User name for SMTP authentication; the password comes from SMTP_PASSWORD or
    /// SMTP_PASSWORD_FILE [default: no authentication]
    #[arg(long, env = "SMTP_USERNAME", value_name = "USER")]
    pub smtp_username: Option<String>,

    /// Require STARTTLS; false with SMTP_USE_SSL unset sends in the clear [default: true]
    #[arg(long, env = "SMTP_USE_TLS", value_name = "BOOL",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub smtp_use_tls: Option<bool>,

    /// Speak TLS from the first byte (implicit TLS, as on port 465) [default: false]
    #[arg(long, env = "SMTP_USE_SSL", value_name = "BOOL",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub smtp_use_ssl: Option<bool>,

    /// Sender address of papyrus emails
    #[arg(long, env = "SMTP_FROM_EMAIL", value_name = "EMAIL")]
    pub smtp_from_email: Option<String>,

    /// Sender name of papyrus emails [default: Papyrus]
    #[arg(long, env = "SMTP_FROM_NAME", value_name = "NAME")]
    pub smtp_from_name: Option<String>,

    /// Lifetime of email verification links, in minutes [default: 1440]
    #[arg(
        long,
        env = "EMAIL_VERIFICATION_TOKEN_EXPIRE_MINUTES",
        value_name = "MINUTES"
    )]
    pub email_verification_token_expire_minutes: Option<u32>,

    /// Lifetime of password reset links, in minutes [default: 60]
    #[arg(
        long,
        env = "PASSWORD_RESET_TOKEN_EXPIRE_MINUTES",
        value_name = "MINUTES"
    )]
    pub password_reset_token_expire_minutes: Option<u32>,
}

/// Email settings, resolved.
#[derive(Debug, Clone)]
pub struct EmailConfig {
    /// The SMTP server; `None` when delivery is off.
    pub smtp: Option<SmtpConfig>,
    pub verification_token_ttl: Duration,
    pub reset_token_ttl: Duration,
}

impl Default for EmailConfig {
    fn default() -> Self {
        Self {
            smtp: None,
            verification_token_ttl: Duration::from_secs(24 * 60 * 60),
            reset_token_ttl: Duration::from_secs(60 * 60),
        }
    }
}

/// Where and how emails are handed over.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub from_email: String,
    pub from_name: String,
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// No TLS: only for a relay on the same host or a test server.
    Plain,
    /// STARTTLS, refusing servers that do not offer it.
    StartTls,
    /// TLS from the first byte.
    ImplicitTls,
}

impl SmtpSecurity {
    fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::Plain => 25,
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::ImplicitTls => 465,
        }
    }
}

impl EmailArgs {
    /// Resolves the email settings; `SMTP_PASSWORD` is read from `env` only.
    pub fn resolve(&self, env: EnvLookup<'_>) -> Result<EmailConfig, ConfigError> {
        let mut problems = Vec::new();
        let mut config = EmailConfig::default();
        let lifetimes = [
            (
                self.email_verification_token_expire_minutes,
                "EMAIL_VERIFICATION",
            ),
            (self.password_reset_token_expire_minutes, "PASSWORD_RESET"),
        ];
        for (minutes, name) in lifetimes {
            if minutes == Some(0) {
                problems.push(format!("{name}_TOKEN_EXPIRE_MINUTES must be at least 1"));
            }
        }
        if let Some(minutes) = self.email_verification_token_expire_minutes {
            config.verification_token_ttl = Duration::from_secs(u64::from(minutes) * 60);
        }
        if let Some(minutes) = self.password_reset_token_expire_minutes {
            config.reset_token_ttl = Duration::from_secs(u64::from(minutes) * 60);
        }

        if self.email_delivery_enabled.unwrap_or(false) {
            config.smtp = self.smtp(env, &mut problems);
        }
        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }
        Ok(config)
    }

    fn smtp(&self, env: EnvLookup<'_>, problems: &mut Vec<String>) -> Option<SmtpConfig> {
        let host = self
            .smtp_host
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty());
        if host.is_none() {
            problems.push("EMAIL_DELIVERY_ENABLED is set but SMTP_HOST is not".into());
        }
        let from_email = match self
            .smtp_from_email
            .as_deref()
            .map(crate::auth::input::email)
        {
            Some(Ok(email)) => Some(email),
            Some(Err(reason)) => {
                problems.push(format!("SMTP_FROM_EMAIL {reason}"));
                None
            }
            None => {
                problems.push("EMAIL_DELIVERY_ENABLED is set but SMTP_FROM_EMAIL is not".into());
                None
            }
        };
        let from_name =
            crate::auth::input::display_name(self.smtp_from_name.as_deref().unwrap_or("Papyrus"))
                .map_err(|reason| problems.push(format!("SMTP_FROM_NAME {reason}")))
                .ok();
        let security = self.security(problems);
        let password = self.smtp_password(env, host.unwrap_or(""), security, problems);

        Some(SmtpConfig {
            host: host?.to_owned(),
            port: self.smtp_port.unwrap_or(security.default_port()),
            security,
            username: self.smtp_username.clone(),
            password,
            from_email: from_email?,
            from_name: from_name?,
        })
    }

    fn security(&self, problems: &mut Vec<String>) -> SmtpSecurity {
        match (self.smtp_use_ssl.unwrap_or(false), self.smtp_use_tls) {
            (true, Some(true)) => {
                problems.push(
                    "SMTP_USE_TLS and SMTP_USE_SSL are both set: choose STARTTLS (SMTP_USE_TLS) \
                     or TLS from the first byte (SMTP_USE_SSL)"
                        .into(),
                );
                SmtpSecurity::ImplicitTls
            }
            (true, _) => SmtpSecurity::ImplicitTls,
            (false, Some(false)) => SmtpSecurity::Plain,
            (false, _) => SmtpSecurity::StartTls,
        }
    }

    /// The SMTP password, which must come with a user name and must not cross the
    /// network in the clear.
    fn smtp_password(
        &self,
        env: EnvLookup<'_>,
        host: &str,
        security: SmtpSecurity,
        problems: &mut Vec<String>,
    ) -> Option<SecretString> {
        let password = read_secret("SMTP_PASSWORD", env).unwrap_or_else(|p| {
            problems.push(p);
            None
        });
        if self.smtp_username.is_some() != password.is_some() {
            problems.push("SMTP_USERNAME and SMTP_PASSWORD must be set together".into());
        }
        let local = matches!(host, "localhost" | "127.0.0.1" | "::1");
        if password.is_some() && security == SmtpSecurity::Plain && !local {
            problems.push(
                "SMTP_PASSWORD would be sent in the clear: set SMTP_USE_TLS or SMTP_USE_SSL".into(),
            );
        }
        password
    }
}

#[cfg(test)]
mod email_tests {
    use super::*;

    fn enabled() -> EmailArgs {
        EmailArgs {
            email_delivery_enabled: Some(true),
            smtp_host: Some("smtp.example.com".into()),
            smtp_from_email: Some("Papyrus@Example.com".into()),
            ..Default::default()
        }
    }

    #[test]
    fn delivery_defaults_to_starttls_on_587() {
        let config = enabled().resolve(&|_| None).unwrap();
        let smtp = config.smtp.unwrap();
        assert_eq!(smtp.security, SmtpSecurity::StartTls);
        assert_eq!(smtp.port, 587);
        assert_eq!(smtp.from_email, "papyrus@example.com");
        assert_eq!(smtp.from_name, "Papyrus");
        assert_eq!(config.reset_token_ttl, Duration::from_secs(3600));

        let off = EmailArgs::default().resolve(&|_| None).unwrap();
        assert!(off.smtp.is_none());
    }

    #[test]
    fn delivery_settings_are_checked_together() {
        let args = EmailArgs {
            email_delivery_enabled: Some(true),
            smtp_use_tls: Some(true),
            smtp_use_ssl: Some(true),
            smtp_username: Some("mailer".into()),
            password_reset_token_expire_minutes: Some(0),
            ..Default::default()
        };
        let error = args.resolve(&|_| None).unwrap_err();
        assert_eq!(error.problems.len(), 5, "{error}");

        let clear = EmailArgs {
            smtp_use_tls: Some(false),
            smtp_username: Some("mailer".into()),
            ..enabled()
        };
        let env = |name: &str| (name == "SMTP_PASSWORD").then(|| "hunter2".to_owned());
        let error = clear.resolve(&env).unwrap_err();
        assert!(error.to_string().contains("in the clear"), "{error}");
        assert!(!error.to_string().contains("hunter2"));
    }
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
