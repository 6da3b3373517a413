//! `papyrus serve`'s own settings and the resolved [`ServerConfig`].

use super::*;

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
