//! The PowerSync service's settings, derived from papyrus's own: the database it
//! replicates from, the one it keeps its buckets in, and how it checks papyrus's
//! tokens.
//!
//! Passwords never enter these settings. The service reads each one from a `PS_*`
//! variable (its `!env` substitution reads no other names), which the operator
//! sets where the service runs.

use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sqlx::postgres::{PgConnectOptions, PgSslMode};
use url::{Host, Url};

use super::PowerSyncError;
use super::hosts::{self, DOCKER_HOST};
use crate::config::PowerSyncConfig;

/// The variable the service reads the replication role's password from.
pub const SOURCE_PASSWORD_ENV: &str = "PS_SOURCE_PASSWORD";
/// The variable the service reads the storage database's password from.
pub const STORAGE_PASSWORD_ENV: &str = "PS_STORAGE_PASSWORD";
pub const DEFAULT_SOURCE_ROLE: &str = "powersync_role";
pub const DEFAULT_STORAGE_DATABASE: &str = "powersync_storage";
/// The port the service listens on inside its container.
pub const DEFAULT_SERVICE_PORT: u16 = 8080;

/// What the service settings are derived from. Holds database URLs with their
/// passwords, hence no `Debug`.
pub struct ServiceInputs {
    /// Papyrus's `DATABASE_URL`: the database PowerSync replicates.
    pub database_url: String,
    /// `POWERSYNC_STORAGE_URI`; without it, a database of its own on the same server.
    pub storage_url: Option<SecretString>,
    pub source_role: String,
    /// `POWERSYNC_JWKS_URI`, when papyrus's own address is not what the service sees.
    pub jwks_uri: Option<Url>,
    pub public_base_url: Option<Url>,
    pub api_prefix: String,
    /// The port papyrus listens on, for the JWKS URL guessed without a public URL.
    pub papyrus_port: u16,
    pub service_port: u16,
    pub powersync: PowerSyncConfig,
}

/// One PostgreSQL connection of the service. The password is not here: the
/// service reads it from the variable `password_env` names.
#[derive(Debug, Clone, Serialize)]
pub struct Connection {
    pub hostname: String,
    pub port: u16,
    pub database: String,
    pub username: String,
    pub sslmode: &'static str,
    pub password_env: &'static str,
}

/// Everything `service.yaml` says, plus what the operator should know about it.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceSettings {
    pub source: Connection,
    pub storage: Connection,
    pub port: u16,
    pub jwks_uri: String,
    pub audience: Vec<String>,
    pub warnings: Vec<String>,
}

pub fn resolve(inputs: &ServiceInputs) -> Result<ServiceSettings, PowerSyncError> {
    let database = postgres_url(&inputs.database_url).ok_or(PowerSyncError::NotPostgres)?;
    let source = connection(&database, Some(&inputs.source_role), SOURCE_PASSWORD_ENV)?;
    let storage = storage_connection(inputs, &database)?;
    let (jwks_uri, guessed) = jwks_uri(inputs)?;

    Ok(ServiceSettings {
        source,
        storage,
        port: inputs.service_port,
        warnings: warnings(inputs, &database, &jwks_uri, guessed),
        jwks_uri: jwks_uri.to_string(),
        audience: vec![inputs.powersync.audience.clone()],
    })
}

/// What may keep the service from reaching papyrus or its databases, or from
/// accepting papyrus's tokens later.
fn warnings(inputs: &ServiceInputs, database: &Url, jwks_uri: &Url, guessed: bool) -> Vec<String> {
    let mut warnings = Vec::new();
    if guessed {
        warnings.push(format!(
            "PUBLIC_BASE_URL is not set, so the JWKS URL is a guess ({jwks_uri}); set \
             PUBLIC_BASE_URL or POWERSYNC_JWKS_URI to the address the PowerSync service \
             reaches papyrus at"
        ));
    }
    warnings.extend(jwks_warning(jwks_uri));
    warnings.extend(database_warnings("the replicated database", database));
    let storage_url = inputs.storage_url.as_ref();
    if let Some(url) = storage_url.and_then(|u| postgres_url(u.expose_secret())) {
        warnings.extend(database_warnings("the storage database", &url));
    }
    warnings.extend(audience_warning(&inputs.powersync));
    warnings
}

/// `text` as a PostgreSQL URL, or `None` for SQLite and anything else.
fn postgres_url(text: &str) -> Option<Url> {
    Url::parse(text)
        .ok()
        .filter(|url| matches!(url.scheme(), "postgres" | "postgresql"))
}

/// The connection `url` describes, logging in as `username` when given, else as
/// the URL's user.
fn connection(
    url: &Url,
    username: Option<&str>,
    password_env: &'static str,
) -> Result<Connection, PowerSyncError> {
    let shown = crate::store::redact_url(url.as_str());
    let invalid = |problem: &str| PowerSyncError::Invalid(format!("{shown}: {problem}"));
    let options = PgConnectOptions::from_str(url.as_str()).map_err(|e| invalid(&e.to_string()))?;
    let host = url
        .host()
        .ok_or_else(|| invalid("no host; PowerSync connects over TCP"))?;
    let database = options
        .get_database()
        .ok_or_else(|| invalid("no database name"))?;

    Ok(Connection {
        hostname: hostname(&host),
        port: url.port().unwrap_or(5432),
        database: database.to_owned(),
        username: username.unwrap_or(options.get_username()).to_owned(),
        sslmode: sslmode(options.get_ssl_mode(), &host),
        password_env,
    })
}

fn storage_connection(
    inputs: &ServiceInputs,
    database: &Url,
) -> Result<Connection, PowerSyncError> {
    let Some(storage_url) = &inputs.storage_url else {
        let mut url = database.clone();
        url.set_path(DEFAULT_STORAGE_DATABASE);
        return connection(&url, None, STORAGE_PASSWORD_ENV);
    };

    let url = postgres_url(storage_url.expose_secret()).ok_or_else(|| {
        PowerSyncError::Invalid("POWERSYNC_STORAGE_URI must be a postgres:// URL".into())
    })?;
    connection(&url, None, STORAGE_PASSWORD_ENV)
}

/// The name without the brackets an IPv6 address wears in a URL.
fn hostname(host: &Host<&str>) -> String {
    match host {
        Host::Ipv6(ip) => ip.to_string(),
        other => other.to_string(),
    }
}

/// PowerSync knows only `disable`, `verify-ca` and `verify-full`. A URL that
/// leaves TLS to chance gets `disable` on the local network, where servers rarely
/// have a certificate, and `verify-full` anywhere else.
fn sslmode(mode: PgSslMode, host: &Host<&str>) -> &'static str {
    match mode {
        PgSslMode::Disable => "disable",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull | PgSslMode::Require => "verify-full",
        PgSslMode::Allow | PgSslMode::Prefer if hosts::is_local(host) => "disable",
        PgSslMode::Allow | PgSslMode::Prefer => "verify-full",
    }
}

/// `POWERSYNC_JWKS_URI`, else papyrus's public URL with the API prefix, else a
/// guess on localhost (`true` in the second place says it is a guess).
fn jwks_uri(inputs: &ServiceInputs) -> Result<(Url, bool), PowerSyncError> {
    if let Some(uri) = &inputs.jwks_uri {
        return Ok((uri.clone(), false));
    }
    let prefix = api_prefix(&inputs.api_prefix)?;
    let (mut url, guessed) = match &inputs.public_base_url {
        Some(base) => (base.clone(), false),
        None => (local_papyrus(inputs.papyrus_port)?, true),
    };

    let path = format!("{}{prefix}/auth/jwks", url.path().trim_end_matches('/'));
    url.set_path(&path);
    url.set_query(None);
    url.set_fragment(None);
    Ok((url, guessed))
}

fn local_papyrus(port: u16) -> Result<Url, PowerSyncError> {
    Url::parse(&format!("http://localhost:{port}"))
        .map_err(|e| PowerSyncError::Invalid(format!("papyrus port {port}: {e}")))
}

/// `/v1`, `v1/` and `/v1/` all mean `/v1`; an empty prefix means none.
fn api_prefix(prefix: &str) -> Result<String, PowerSyncError> {
    let trimmed = prefix.trim().trim_matches('/');
    if trimmed.contains(['?', '#', ' ']) {
        return Err(PowerSyncError::Invalid(format!(
            "API_PREFIX={prefix} is not a path: use something like /v1"
        )));
    }
    Ok(if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    })
}

fn jwks_warning(jwks_uri: &Url) -> Option<String> {
    let host = jwks_uri.host()?;
    hosts::is_loopback(&host).then(|| {
        format!(
            "the JWKS URL {jwks_uri} points at loopback: a PowerSync service in Docker \
             cannot reach the host's {host} there. Use http://{DOCKER_HOST}:<port>/... \
             (on Linux start the container with --add-host={DOCKER_HOST}:host-gateway) \
             or the host's LAN address, through POWERSYNC_JWKS_URI or PUBLIC_BASE_URL"
        )
    })
}

fn database_warnings(what: &str, url: &Url) -> Vec<String> {
    let mut warnings = Vec::new();
    let port = url.port().unwrap_or(5432);
    if !(1024..=49151).contains(&port) {
        warnings.push(format!(
            "{what} listens on port {port}: PowerSync connects only to ports 1024 to 49151"
        ));
    }

    if let Some(host) = url.host().filter(hosts::is_loopback) {
        warnings.push(format!(
            "{what} is on {host}: a PowerSync service in Docker cannot reach the host's \
             loopback. Change hostname in service.yaml to {DOCKER_HOST} (with \
             --add-host={DOCKER_HOST}:host-gateway on Linux) or the host's LAN address, \
             and let PostgreSQL listen there (listen_addresses, pg_hba.conf)"
        ));
    }
    warnings
}

fn audience_warning(powersync: &PowerSyncConfig) -> Option<String> {
    (!powersync.audience_explicit).then(|| {
        format!(
            "POWERSYNC_JWT_AUDIENCE is not set, so the audience is the default {:?}; set it \
             explicitly where both papyrus and this config are made, so they keep agreeing",
            powersync.audience
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(database_url: &str) -> ServiceInputs {
        ServiceInputs {
            database_url: database_url.to_owned(),
            storage_url: None,
            source_role: DEFAULT_SOURCE_ROLE.to_owned(),
            jwks_uri: None,
            public_base_url: None,
            api_prefix: "/v1".to_owned(),
            papyrus_port: 8000,
            service_port: DEFAULT_SERVICE_PORT,
            powersync: PowerSyncConfig::default(),
        }
    }

    #[test]
    fn the_jwks_url_follows_the_public_url_and_prefix() {
        let mut inputs = inputs("postgres://papyrus@db/papyrus");
        assert_eq!(
            jwks_uri(&inputs).unwrap().0.as_str(),
            "http://localhost:8000/v1/auth/jwks"
        );

        inputs.public_base_url = Url::parse("https://example.com/papyrus/?x=1").ok();
        inputs.api_prefix = "api/".to_owned();
        let (url, guessed) = jwks_uri(&inputs).unwrap();
        assert_eq!(url.as_str(), "https://example.com/papyrus/api/auth/jwks");
        assert!(!guessed);

        inputs.api_prefix = "/v1?".to_owned();
        assert!(matches!(jwks_uri(&inputs), Err(PowerSyncError::Invalid(_))));
    }

    #[test]
    fn connections_come_from_the_database_urls_without_passwords() {
        let mut inputs = inputs("postgres://pap%40yrus:pw@db.example.com:6432/papyrus");
        inputs.storage_url = Some(SecretString::from(
            "postgresql://store:pw@10.0.0.5/ps?sslmode=verify-ca".to_owned(),
        ));
        let settings = resolve(&inputs).unwrap();

        let source = &settings.source;
        assert_eq!(
            (
                source.hostname.as_str(),
                source.port,
                source.database.as_str()
            ),
            ("db.example.com", 6432, "papyrus")
        );
        assert_eq!(
            (source.username.as_str(), source.sslmode),
            ("powersync_role", "verify-full")
        );
        let storage = &settings.storage;
        assert_eq!(
            (storage.username.as_str(), storage.sslmode),
            ("store", "verify-ca")
        );
        assert_eq!(storage.password_env, STORAGE_PASSWORD_ENV);
        assert!(!format!("{settings:?}").contains("pw"));

        let sqlite = resolve(&self::inputs("sqlite://papyrus.db"));
        assert!(matches!(sqlite, Err(PowerSyncError::NotPostgres)));
    }
}
