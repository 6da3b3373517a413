//! `papyrus doctor`: checks a set-up and says how to fix what is wrong.
//!
//! Policy:
//! - A check only reads: it never creates a database, a key or a file, so running the
//!   doctor against a production set-up is always safe.
//! - `fail` is for what stops papyrus from working as configured (no database, pending
//!   migrations, no usable signing key, a half-configured integration). `warn` is for
//!   what works for a plain auth server but not for everything (PowerSync replication,
//!   a leftover development secret). `skip` says a check does not apply here.
//! - Every `fail` and `warn` carries the fix, as a command or a setting to change.
//! - Settings are read the way `serve` reads them: the same flags, the same
//!   environment, through an [`EnvLookup`](crate::config::EnvLookup) so tests can pass
//!   their own.

mod database;
mod keys;
mod services;
mod settings;

use std::time::Duration;

use serde::Serialize;

use crate::config::{BaseArgs, EnvLookup, PowerSyncArgs, ServeArgs};

/// How long a network check waits for an answer.
pub const NETWORK_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    Skip,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    pub message: String,
    /// What to do about a `fail` or `warn`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    pub fn pass(name: &'static str, message: impl Into<String>) -> Self {
        Self::new(name, Status::Pass, message, None)
    }

    pub fn skip(name: &'static str, message: impl Into<String>) -> Self {
        Self::new(name, Status::Skip, message, None)
    }

    pub fn warn(name: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(name, Status::Warn, message, Some(fix.into()))
    }

    pub fn fail(name: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(name, Status::Fail, message, Some(fix.into()))
    }

    fn new(
        name: &'static str,
        status: Status,
        message: impl Into<String>,
        fix: Option<String>,
    ) -> Self {
        Self {
            name,
            status,
            message: message.into(),
            fix,
        }
    }
}

/// The settings a doctor run examines: those `serve` would start with.
pub struct Setup<'a> {
    pub base: &'a BaseArgs,
    pub serve: &'a ServeArgs,
    pub powersync: &'a PowerSyncArgs,
    pub env: EnvLookup<'a>,
}

/// Runs every check, in the order a set-up is usually fixed.
pub async fn run(setup: &Setup<'_>) -> Vec<Check> {
    let resolved = settings::resolve(setup);
    let mut checks = vec![resolved.check.clone()];
    let Some(base) = resolved.base else {
        return checks;
    };

    checks.push(settings::production_secrets(&base));
    checks.extend(database::checks(&base, setup.env).await);
    checks.extend(keys::checks(&base, setup.env));
    checks.push(settings::audience(resolved.powersync.as_ref()));
    checks.push(services::powersync_service(setup.env).await);
    checks.push(services::smtp(setup.env).await);
    checks.push(settings::google_oauth(setup.env));
    checks.push(settings::public_base_url(resolved.serve.as_ref()));
    checks
}

/// How many checks failed.
pub fn failures(checks: &[Check]) -> usize {
    checks.iter().filter(|c| c.status == Status::Fail).count()
}
