//! Preparing the replicated PostgreSQL database for PowerSync: `wal_level`, the
//! replication role and the `powersync` publication.
//!
//! Every step looks before it acts and reports what it did, so a second run changes
//! nothing and says so. The steps run in one transaction: a failure leaves the
//! database as it was. This module administers the PostgreSQL server (roles,
//! publications), not papyrus's data, so it talks to PostgreSQL directly rather than
//! through the store.
//!
//! `wal_level` is only read: changing it needs a restart papyrus cannot do, so the
//! report carries the fix instead.

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sqlx::{AssertSqlSafe, Connection, PgConnection};

use super::{PowerSyncError, quote, scram};
use crate::sync;

/// The publication name PowerSync looks for.
pub const PUBLICATION: &str = "powersync";

/// The longest name PostgreSQL keeps whole; longer ones are cut silently.
const MAX_NAME_BYTES: usize = 63;

/// What `setup` is asked to make. No `Debug`: it holds a password.
pub struct SetupRequest {
    pub role: String,
    /// Needed to create the role; given for an existing role, it is set again.
    pub password: Option<SecretString>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
        }
    }
}

/// One thing setup looked at, and what it did about it.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub subject: String,
    pub outcome: Outcome,
    pub detail: Option<String>,
}

impl Step {
    fn new(subject: impl Into<String>, outcome: Outcome, detail: Option<String>) -> Self {
        Step {
            subject: subject.into(),
            outcome,
            detail,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SetupReport {
    pub wal_level: String,
    /// Whether PowerSync can replicate now; false until `wal_level` is `logical`.
    pub ready: bool,
    pub changed: bool,
    pub steps: Vec<Step>,
    pub warnings: Vec<String>,
}

pub async fn setup(
    database_url: &str,
    request: &SetupRequest,
) -> Result<SetupReport, PowerSyncError> {
    if !database_url.starts_with("postgres:") && !database_url.starts_with("postgresql:") {
        return Err(PowerSyncError::NotPostgres);
    }
    check_role_name(&request.role)?;
    let mut conn = PgConnection::connect(database_url)
        .await
        .map_err(PowerSyncError::database("connect to the database"))?;
    let wal_level: String = sqlx::query_scalar("SHOW wal_level")
        .fetch_one(&mut conn)
        .await
        .map_err(PowerSyncError::database("read wal_level"))?;

    let mut tx = conn
        .begin()
        .await
        .map_err(PowerSyncError::database("start a transaction"))?;
    let steps = apply_steps(&mut tx, request).await?;
    tx.commit()
        .await
        .map_err(PowerSyncError::database("commit the changes"))?;

    Ok(report(wal_level, steps))
}

fn check_role_name(role: &str) -> Result<(), PowerSyncError> {
    if role.is_empty() || role.len() > MAX_NAME_BYTES || role.contains('\0') {
        return Err(PowerSyncError::Invalid(format!(
            "POWERSYNC_SOURCE_ROLE must be 1 to {MAX_NAME_BYTES} bytes long, without NUL"
        )));
    }
    Ok(())
}

async fn apply_steps(
    conn: &mut PgConnection,
    request: &SetupRequest,
) -> Result<Vec<Step>, PowerSyncError> {
    let mut steps = vec![ensure_role(conn, request).await?];
    for entity in sync::ENTITIES {
        steps.push(grant_select(conn, &request.role, entity.table).await?);
    }
    steps.push(grant_future_tables(conn, &request.role).await?);
    steps.push(ensure_publication(conn).await?);
    Ok(steps)
}

fn report(wal_level: String, steps: Vec<Step>) -> SetupReport {
    let ready = wal_level == "logical";
    let mut warnings = Vec::new();
    if !ready {
        warnings.push(format!(
            "wal_level is {wal_level}, and PowerSync needs logical. As a superuser run \
             `ALTER SYSTEM SET wal_level = logical;` (or set wal_level = logical in \
             postgresql.conf), then restart PostgreSQL: a reload is not enough"
        ));
    }

    SetupReport {
        ready,
        changed: steps.iter().any(|s| s.outcome != Outcome::Unchanged),
        wal_level,
        steps,
        warnings,
    }
}

/// A login role with `REPLICATION`. A given password is compared with the stored
/// secret where PostgreSQL lets papyrus read it (as a superuser), and set again
/// where it does not.
async fn ensure_role(
    conn: &mut PgConnection,
    request: &SetupRequest,
) -> Result<Step, PowerSyncError> {
    let role = &request.role;
    let subject = format!("role {role}");
    let password = request.password.as_ref().map(|p| p.expose_secret());
    let Some((replication, login)) = role_attributes(conn, role).await? else {
        let password = password.ok_or_else(|| PowerSyncError::PasswordRequired(role.clone()))?;
        alter_role(conn, "CREATE", role, Some(password)).await?;
        return Ok(Step::new(
            subject,
            Outcome::Created,
            Some("REPLICATION, LOGIN".into()),
        ));
    };

    let new_password = match password {
        Some(password) if !password_matches(conn, role, password).await => Some(password),
        _ => None,
    };
    if replication && login && new_password.is_none() {
        return Ok(Step::new(subject, Outcome::Unchanged, None));
    }

    alter_role(conn, "ALTER", role, new_password).await?;
    let detail = match new_password {
        Some(_) => "REPLICATION, LOGIN, password set",
        None => "REPLICATION, LOGIN",
    };
    Ok(Step::new(subject, Outcome::Updated, Some(detail.into())))
}

/// Whether the role may replicate and log in, or `None` when there is no such role.
async fn role_attributes(
    conn: &mut PgConnection,
    role: &str,
) -> Result<Option<(bool, bool)>, PowerSyncError> {
    sqlx::query_as("SELECT rolreplication, rolcanlogin FROM pg_roles WHERE rolname = $1")
        .bind(role)
        .fetch_optional(&mut *conn)
        .await
        .map_err(PowerSyncError::database("look up the role"))
}

/// `CREATE ROLE` or `ALTER ROLE`. The password travels as a SCRAM secret, never
/// as itself.
async fn alter_role(
    conn: &mut PgConnection,
    verb: &str,
    role: &str,
    password: Option<&str>,
) -> Result<(), PowerSyncError> {
    let mut statement = format!(
        "{verb} ROLE {} WITH LOGIN REPLICATION",
        quote::identifier(role)
    );
    if let Some(password) = password {
        statement.push_str(" PASSWORD ");
        statement.push_str(&quote::literal(&scram::secret(password)));
    }

    let what = format!("{} the role {role}", verb.to_lowercase());
    execute(conn, statement, &what).await
}

/// Whether the role's stored secret was made from `password`; false when it cannot
/// be read, which only costs setting the same password again.
async fn password_matches(conn: &mut PgConnection, role: &str, password: &str) -> bool {
    let mut savepoint = match conn.begin().await {
        Ok(savepoint) => savepoint,
        Err(_) => return false,
    };
    let stored: Result<Option<String>, _> =
        sqlx::query_scalar("SELECT rolpassword FROM pg_authid WHERE rolname = $1")
            .bind(role)
            .fetch_one(&mut *savepoint)
            .await;

    let _ = savepoint.rollback().await;
    matches!(stored, Ok(Some(secret)) if scram::matches(&secret, password))
}

async fn grant_select(
    conn: &mut PgConnection,
    role: &str,
    table: &str,
) -> Result<Step, PowerSyncError> {
    let subject = format!("SELECT on {table}");
    let granted: Option<bool> = sqlx::query_scalar(
        "SELECT has_table_privilege($1::name, c.oid, 'SELECT') FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relname = $2",
    )
    .bind(role)
    .bind(table)
    .fetch_optional(&mut *conn)
    .await
    .map_err(PowerSyncError::database("check the table privileges"))?;

    match granted {
        None => Err(PowerSyncError::MissingTable(table.to_owned())),
        Some(true) => Ok(Step::new(subject, Outcome::Unchanged, None)),
        Some(false) => {
            let statement = format!(
                "GRANT SELECT ON TABLE {} TO {}",
                quote::public_table(table),
                quote::identifier(role)
            );
            execute(conn, statement, &format!("grant SELECT on {table}")).await?;
            Ok(Step::new(subject, Outcome::Created, Some("granted".into())))
        }
    }
}

/// `SELECT` on the tables the setup user creates in `public` from now on, so a
/// table a later migration adds is readable before anyone runs setup again.
async fn grant_future_tables(conn: &mut PgConnection, role: &str) -> Result<Step, PowerSyncError> {
    let subject = "SELECT on future tables in public";
    let granted: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_default_acl d \
         JOIN pg_namespace n ON n.oid = d.defaclnamespace \
         CROSS JOIN LATERAL aclexplode(d.defaclacl) a \
         WHERE n.nspname = 'public' AND d.defaclobjtype = 'r' \
         AND d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = current_user) \
         AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1::name) \
         AND a.privilege_type = 'SELECT')",
    )
    .bind(role)
    .fetch_one(&mut *conn)
    .await
    .map_err(PowerSyncError::database("check the default privileges"))?;
    if granted {
        return Ok(Step::new(subject, Outcome::Unchanged, None));
    }

    let statement = format!(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {}",
        quote::identifier(role)
    );
    execute(conn, statement, "alter the default privileges").await?;
    Ok(Step::new(subject, Outcome::Created, Some("granted".into())))
}

/// The `powersync` publication over every synced table.
async fn ensure_publication(conn: &mut PgConnection) -> Result<Step, PowerSyncError> {
    let subject = format!("publication {PUBLICATION}");
    let published = published_tables(conn).await?;
    let missing: Vec<&str> = sync::ENTITIES
        .iter()
        .map(|entity| entity.table)
        .filter(|table| {
            !published
                .as_ref()
                .is_some_and(|p| p.iter().any(|t| t == table))
        })
        .collect();
    if missing.is_empty() {
        return Ok(Step::new(subject, Outcome::Unchanged, None));
    }

    let tables: Vec<String> = missing.iter().map(|t| quote::public_table(t)).collect();
    let (statement, outcome) = match published {
        Some(_) => (
            format!("ALTER PUBLICATION {PUBLICATION} ADD TABLE "),
            Outcome::Updated,
        ),
        None => (
            format!("CREATE PUBLICATION {PUBLICATION} FOR TABLE "),
            Outcome::Created,
        ),
    };
    execute(
        conn,
        statement + &tables.join(", "),
        "publish the synced tables",
    )
    .await?;
    Ok(Step::new(subject, outcome, Some(missing.join(", "))))
}

/// The `public` tables the publication covers, or `None` when it does not exist.
async fn published_tables(conn: &mut PgConnection) -> Result<Option<Vec<String>>, PowerSyncError> {
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)")
            .bind(PUBLICATION)
            .fetch_one(&mut *conn)
            .await
            .map_err(PowerSyncError::database("look up the publication"))?;
    if !exists {
        return Ok(None);
    }

    let tables = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_publication_tables \
         WHERE pubname = $1 AND schemaname = 'public'",
    )
    .bind(PUBLICATION)
    .fetch_all(&mut *conn)
    .await
    .map_err(PowerSyncError::database("list the published tables"))?;
    Ok(Some(tables))
}

async fn execute(
    conn: &mut PgConnection,
    statement: String,
    what: &str,
) -> Result<(), PowerSyncError> {
    sqlx::raw_sql(AssertSqlSafe(statement))
        .execute(&mut *conn)
        .await
        .map_err(PowerSyncError::database(what))?;
    Ok(())
}
