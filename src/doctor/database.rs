//! Database checks: reachable, fully migrated and, on PostgreSQL, ready for PowerSync
//! logical replication.

use crate::config::{BaseSettings, EnvLookup};
use crate::store::{self, Backend, DynStore, ReplicationFacts};

use super::{Check, NETWORK_TIMEOUT};

/// The tables the PowerSync sync rules read; the publication and role must cover them.
pub const SYNCED_TABLES: &[&str] = &["books"];
/// The publication PowerSync replicates from.
pub const PUBLICATION: &str = "powersync";
/// The replication role when `POWERSYNC_SOURCE_ROLE` is not set.
pub const DEFAULT_SOURCE_ROLE: &str = "powersync_role";

const DATABASE: &str = "database";
const MIGRATIONS: &str = "migrations";
const REPLICATION_CHECKS: [&str; 3] = ["wal_level", "publication", "replication role"];
const POWERSYNC_FIX: &str = "run `papyrus powersync setup`";

pub async fn checks(base: &BaseSettings, env: EnvLookup<'_>) -> Vec<Check> {
    let store = match open(base).await {
        Ok(store) => store,
        Err(failed) => {
            let mut checks = vec![
                failed,
                Check::skip(MIGRATIONS, "the database is unreachable"),
            ];
            checks
                .extend(REPLICATION_CHECKS.map(|n| Check::skip(n, "the database is unreachable")));
            return checks;
        }
    };

    let mut checks = vec![
        Check::pass(
            DATABASE,
            format!("{} answers", store::redact_url(&base.database_url)),
        ),
        migrations(&store).await,
    ];
    let role = env("POWERSYNC_SOURCE_ROLE").unwrap_or_else(|| DEFAULT_SOURCE_ROLE.to_owned());
    checks.extend(replication(&store, &role).await);
    checks
}

/// Connects without creating anything: a missing SQLite file is reported, not made.
async fn open(base: &BaseSettings) -> Result<DynStore, Check> {
    let url = &base.database_url;
    let shown = store::redact_url(url);
    let migrate_fix = "run `papyrus db migrate` (or start `papyrus serve`, which migrates)";
    if url.starts_with("sqlite:") {
        match store::sqlite::database_file(url) {
            Ok(file) if !file.exists() => {
                let message = format!("no SQLite database at {}", file.display());
                return Err(Check::fail(DATABASE, message, migrate_fix));
            }
            Ok(_) => {}
            Err(error) => return Err(Check::fail(DATABASE, error.to_string(), "fix DATABASE_URL")),
        }
    }

    let fix = "check DATABASE_URL (or POSTGRES_*) and that the database server is running";
    let connected = tokio::time::timeout(NETWORK_TIMEOUT * 2, async {
        let store = store::connect(url).await?;
        store.ping().await.map(|()| store)
    })
    .await;
    match connected {
        Ok(Ok(store)) => Ok(store),
        Ok(Err(error)) => Err(Check::fail(DATABASE, format!("{shown}: {error}"), fix)),
        Err(_) => Err(Check::fail(
            DATABASE,
            format!("{shown} does not answer"),
            fix,
        )),
    }
}

async fn migrations(store: &DynStore) -> Check {
    let states = match store.migration_status().await {
        Ok(states) => states,
        Err(error) => {
            return Check::fail(
                MIGRATIONS,
                format!("cannot read migrations: {error}"),
                "check the database user may read _sqlx_migrations",
            );
        }
    };

    let pending: Vec<String> = states
        .iter()
        .filter(|s| !s.applied)
        .map(|s| format!("{} {}", s.version, s.description))
        .collect();
    if pending.is_empty() {
        return Check::pass(MIGRATIONS, format!("all {} applied", states.len()));
    }
    Check::fail(
        MIGRATIONS,
        format!("{} pending: {}", pending.len(), pending.join(", ")),
        "run `papyrus db migrate`",
    )
}

async fn replication(store: &DynStore, role: &str) -> Vec<Check> {
    if store.backend() == Backend::Sqlite {
        return REPLICATION_CHECKS
            .map(|name| Check::skip(name, "PowerSync needs PostgreSQL; this is SQLite"))
            .to_vec();
    }

    match store
        .replication_facts(role, PUBLICATION, SYNCED_TABLES)
        .await
    {
        Ok(Some(facts)) => vec![
            wal_level(&facts),
            publication(&facts),
            source_role(&facts, role),
        ],
        Ok(None) => REPLICATION_CHECKS
            .map(|name| Check::skip(name, "this database has no logical replication"))
            .to_vec(),
        Err(error) => REPLICATION_CHECKS
            .map(|name| {
                Check::fail(
                    name,
                    format!("cannot read replication settings: {error}"),
                    "check the database user may read pg_publication and pg_roles",
                )
            })
            .to_vec(),
    }
}

fn wal_level(facts: &ReplicationFacts) -> Check {
    if facts.wal_level == "logical" {
        return Check::pass("wal_level", "logical");
    }
    Check::warn(
        "wal_level",
        format!(
            "wal_level is {}; PowerSync replication needs logical",
            facts.wal_level
        ),
        "run `ALTER SYSTEM SET wal_level = logical` as a superuser, then restart PostgreSQL",
    )
}

fn missing<'a>(covered: &[String]) -> Vec<&'a str> {
    SYNCED_TABLES
        .iter()
        .copied()
        .filter(|table| !covered.iter().any(|c| c == table))
        .collect()
}

fn publication(facts: &ReplicationFacts) -> Check {
    if !facts.publication_exists {
        let message = format!("no publication named {PUBLICATION}");
        return Check::warn("publication", message, POWERSYNC_FIX);
    }

    let missing = missing(&facts.published_tables);
    if missing.is_empty() {
        return Check::pass(
            "publication",
            format!("{PUBLICATION} covers {}", SYNCED_TABLES.join(", ")),
        );
    }
    let message = format!("{PUBLICATION} does not include {}", missing.join(", "));
    Check::warn("publication", message, POWERSYNC_FIX)
}

fn source_role(facts: &ReplicationFacts, role: &str) -> Check {
    const NAME: &str = "replication role";
    if !facts.role_exists {
        let message = format!("no role {role} (POWERSYNC_SOURCE_ROLE)");
        return Check::warn(NAME, message, POWERSYNC_FIX);
    }
    if !facts.role_can_replicate {
        return Check::warn(
            NAME,
            format!("{role} lacks the REPLICATION attribute"),
            POWERSYNC_FIX,
        );
    }

    let missing = missing(&facts.role_readable_tables);
    if missing.is_empty() {
        return Check::pass(
            NAME,
            format!("{role} can replicate and read the synced tables"),
        );
    }
    let message = format!("{role} cannot SELECT from {}", missing.join(", "));
    Check::warn(NAME, message, POWERSYNC_FIX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Status;

    fn facts() -> ReplicationFacts {
        ReplicationFacts {
            wal_level: "logical".into(),
            publication_exists: true,
            published_tables: vec!["books".into()],
            role_exists: true,
            role_can_replicate: true,
            role_readable_tables: vec!["books".into()],
        }
    }

    #[test]
    fn replication_gaps_are_warnings_with_fixes() {
        let ready = facts();
        assert_eq!(wal_level(&ready).status, Status::Pass);
        assert_eq!(publication(&ready).status, Status::Pass);
        assert_eq!(source_role(&ready, "r").status, Status::Pass);

        let replica = ReplicationFacts {
            wal_level: "replica".into(),
            published_tables: vec![],
            role_readable_tables: vec![],
            ..facts()
        };
        let wal = wal_level(&replica);
        assert_eq!(wal.status, Status::Warn);
        assert!(
            wal.fix
                .unwrap()
                .contains("ALTER SYSTEM SET wal_level = logical")
        );
        assert!(publication(&replica).message.contains("books"));
        let role = source_role(&replica, "r");
        assert_eq!(role.status, Status::Warn);
        assert_eq!(role.fix.as_deref(), Some(POWERSYNC_FIX));
    }
}
