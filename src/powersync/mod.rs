//! Running a PowerSync service against papyrus: its configuration files and the
//! PostgreSQL set-up it replicates through.
//!
//! Policy: papyrus is the one source of what the service needs. The sync config's
//! stream queries come from [`crate::sync`]'s entity declarations, never from a
//! second list of columns; the service config comes from papyrus's settings
//! ([`service`]), so the audience and the JWKS URL the service checks tokens with
//! are the ones papyrus signs them for. Passwords are never written into the files
//! nor sent to PostgreSQL in clear ([`scram`]).

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod hosts;
pub mod quote;
pub mod render;
pub mod scram;
pub mod service;
pub mod setup;

pub use render::{RenderedConfig, SERVICE_FILE, SYNC_CONFIG_FILE, render, sync_config};
pub use service::{ServiceInputs, ServiceSettings, resolve};
pub use setup::{Outcome, PUBLICATION, SetupReport, SetupRequest, Step, setup};

/// Why a PowerSync command could not do its work.
#[derive(Debug, thiserror::Error)]
pub enum PowerSyncError {
    #[error("PowerSync replicates from PostgreSQL; set DATABASE_URL to a postgres:// URL")]
    NotPostgres,
    #[error("{0}")]
    Invalid(String),
    #[error(
        "the role {0} does not exist yet, and creating it needs a password: set \
         POWERSYNC_SOURCE_PASSWORD (or POWERSYNC_SOURCE_PASSWORD_FILE)"
    )]
    PasswordRequired(String),
    #[error("the table {0} does not exist: run `papyrus db migrate` first")]
    MissingTable(String),
    #[error("cannot {what}: {source}")]
    Database {
        what: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot render the PowerSync configuration: {0}")]
    Template(#[from] minijinja::Error),
}

impl PowerSyncError {
    /// Wraps a database error with the step that failed.
    fn database(what: impl Into<String>) -> impl FnOnce(sqlx::Error) -> Self {
        let what = what.into();
        move |source| PowerSyncError::Database { what, source }
    }
}
