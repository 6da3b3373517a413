//! `papyrus serve`: resolve settings, open and migrate the database, listen.

use anyhow::Context;
use clap::Args;
use tokio::net::TcpListener;

use super::common::{open_keys, open_store};
use super::{CliError, CliResult};
use crate::config::{self, BaseArgs, Mode, PowerSyncArgs, ServeArgs};
use crate::keys::KeyStore;
use crate::store;

#[derive(Debug, Args)]
pub struct ServeCommand {
    #[command(flatten)]
    pub base: BaseArgs,

    #[command(flatten)]
    pub serve: ServeArgs,

    #[command(flatten)]
    pub powersync: PowerSyncArgs,
}

pub async fn run(args: ServeCommand) -> CliResult {
    let base = args.base.resolve(&config::process_env)?;
    let secret = match base.secret_key.clone() {
        Some(secret) => secret,
        None => dev_secret(&base)?,
    };
    let settings = args.serve.resolve(base, secret, &args.powersync)?;
    if settings.base.mode == Mode::Development {
        warn_development(&settings.base);
    }

    let url = &settings.base.database_url;
    let store = open_store(&settings.base).await?;
    prepare_schema(store.as_ref(), settings.migrate).await?;
    let keys = open_keys(&settings.base)?;
    let _watch = match &keys {
        Some(keys) => {
            reload_on_hangup(keys.clone());
            keys.watch()?
        }
        None => None,
    };

    let listener = TcpListener::bind(settings.bind)
        .await
        .with_context(|| format!("cannot listen on {}", settings.bind))?;
    let address = listener.local_addr().context("listener has no address")?;
    tracing::info!(
        "listening on http://{address} (database {}, {} mode)",
        store::redact_url(url),
        settings.base.mode.name()
    );

    crate::server::launch(settings.server, store, keys, listener, shutdown_signal())
        .await
        .context("the server stopped with an error")?;
    tracing::info!("stopped");
    Ok(())
}

/// The generated development secret, created on first start; an explicit, logged step.
fn dev_secret(base: &config::BaseSettings) -> CliResult<secrecy::SecretString> {
    let (secret, generated) = config::ensure_dev_secret(&base.data_dir)
        .with_context(|| format!("cannot keep a secret key in {}", base.data_dir.display()))?;
    if generated {
        tracing::warn!(
            "generated a development SECRET_KEY in {}",
            base.data_dir.join("secret_key").display()
        );
    }
    Ok(secret)
}

fn warn_development(base: &config::BaseSettings) {
    let database = if base.database_explicit {
        "the configured database"
    } else {
        "SQLite in the data directory"
    };
    tracing::warn!(
        "development set-up: {database}, secrets kept in {}; \
         set PAPYRUS_ENV=production with SECRET_KEY and DATABASE_URL for a real deployment",
        base.data_dir.display()
    );
}

async fn prepare_schema(store: &dyn store::Store, migrate: bool) -> CliResult {
    if migrate {
        let applied = store
            .migrate()
            .await
            .context("cannot migrate the database")?;
        if !applied.is_empty() {
            tracing::info!(?applied, "applied database migrations");
        }
        return Ok(());
    }

    let status = store
        .migration_status()
        .await
        .context("cannot read migrations")?;
    let pending = status.iter().filter(|m| !m.applied).count();
    if pending > 0 {
        return Err(CliError::Usage(format!(
            "{pending} database migration(s) pending and --no-migrate was given: \
             run `papyrus db migrate` first"
        )));
    }
    Ok(())
}

/// Reloads the key set on SIGHUP, beside the directory watcher.
fn reload_on_hangup(keys: KeyStore) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; key reloads rely on the watcher");
            return;
        };
        while hangups.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading the PowerSync key set");
            keys.reload();
        }
    });
    #[cfg(not(unix))]
    drop(keys);
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
