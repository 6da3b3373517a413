//! Google sign-in settings.

use super::*;

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
