//! `papyrus powersync config` and `papyrus powersync setup`: the rendered files
//! agree with the migrated schema and with papyrus's settings, and setup prepares
//! PostgreSQL once.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use serde_norway::Value as Yaml;

use crate::helpers::{Db, TestDb, postgres_available};

const SOURCE_PASSWORD: &str = "ps-source-pa'ss\"w\\ord";
const DATABASE_PASSWORD: &str = "db-secret-9f2c";

/// The binary in an empty directory (no `.env` to pick up) with only `vars` set.
fn papyrus(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_papyrus"))
        .current_dir(dir)
        .env_clear()
        .envs(vars.iter().copied())
        .args(args)
        .output()
        .unwrap()
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn yaml(text: &str) -> Yaml {
    serde_norway::from_str(text).unwrap_or_else(|e| panic!("not YAML ({e}):\n{text}"))
}

/// The source column of each item of the query's select list: `name`,
/// `name::text AS alias` and `name::text AS name` all give `name`.
fn select_items(query: &str) -> Vec<(String, String)> {
    let list = query
        .strip_prefix("SELECT ")
        .and_then(|rest| rest.split_once(" FROM ").map(|(list, _)| list))
        .unwrap_or_else(|| panic!("not a SELECT ... FROM: {query}"));
    list.split(", ")
        .map(|item| {
            let column = item.split([':', ' ']).next().unwrap().to_owned();
            (column, item.to_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn powersync_config_streams_only_columns_the_books_table_has() {
    if !postgres_available().await {
        return;
    }
    let db = TestDb::create(Db::Postgres).await;
    papyrus::store::connect(&db.url)
        .await
        .unwrap()
        .migrate()
        .await
        .unwrap();

    let rendered = yaml(&papyrus::powersync::sync_config().unwrap());
    assert_eq!(rendered["config"]["edition"].as_u64(), Some(2));
    let books = &rendered["streams"]["books"];
    assert_eq!(books["auto_subscribe"].as_bool(), Some(true));
    assert!(books.get("parameters").is_none());
    let query = books["query"].as_str().unwrap();
    assert!(query.ends_with(" FROM books WHERE owner_user_id::text = auth.user_id()"));

    let items = select_items(query);
    assert!(
        items.iter().any(|(_, item)| item == "book_id::text AS id"),
        "{query}"
    );
    for (column, item) in &items {
        let sql = format!(
            "SELECT data_type::text FROM information_schema.columns \
             WHERE table_name = 'books' AND column_name = '{column}'"
        );
        let data_type = db.scalar(&sql).await;
        let data_type = data_type.unwrap_or_else(|| panic!("books has no column {column}"));
        let needs_text =
            matches!(data_type.as_str(), "uuid" | "jsonb") || data_type.starts_with("timestamp");
        assert_eq!(item.contains("::text"), needs_text, "{item} ({data_type})");
    }

    let runnable = query.replace("auth.user_id()", "'00000000-0000-0000-0000-000000000000'");
    db.exec(&format!("{runnable} LIMIT 0")).await;
}

#[test]
fn powersync_config_carries_the_audience_and_jwks_but_no_password() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("postgres://papyrus:{DATABASE_PASSWORD}@localhost:5432/papyrus");
    let output = papyrus(
        dir.path(),
        &["powersync", "config", "--json"],
        &[
            ("DATABASE_URL", &database_url),
            ("POWERSYNC_SOURCE_PASSWORD", SOURCE_PASSWORD),
            ("POWERSYNC_JWT_AUDIENCE", "papyrus-test-audience"),
            ("PUBLIC_BASE_URL", "http://host.docker.internal:8000"),
        ],
    );
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    for secret in [SOURCE_PASSWORD, DATABASE_PASSWORD] {
        assert!(!stdout.contains(secret) && !stderr.contains(secret));
    }

    let body: Value = serde_json::from_str(&stdout).unwrap();
    let service = yaml(body["service_yaml"].as_str().unwrap());
    let auth = &service["client_auth"];
    assert_eq!(
        auth["jwks_uri"].as_str(),
        Some("http://host.docker.internal:8000/v1/auth/jwks")
    );
    assert_eq!(auth["audience"][0].as_str(), Some("papyrus-test-audience"));
    assert_eq!(auth["block_local_jwks"].as_bool(), Some(false));
    assert!(auth.get("jwks_reject_ip_ranges").is_none());

    let source = &service["replication"]["connections"][0];
    assert_eq!(source["type"].as_str(), Some("postgresql"));
    assert_eq!(source["username"].as_str(), Some("powersync_role"));
    assert_eq!(source["sslmode"].as_str(), Some("disable"));
    assert_env_tag(&source["password"], "PS_SOURCE_PASSWORD");
    assert_eq!(
        service["storage"]["database"].as_str(),
        Some("powersync_storage")
    );
    assert_env_tag(&service["storage"]["password"], "PS_STORAGE_PASSWORD");
    assert_eq!(
        service["sync_config"]["path"].as_str(),
        Some("sync-config.yaml")
    );

    let warnings = body["warnings"].to_string();
    assert!(
        warnings.contains("the replicated database is on localhost"),
        "{warnings}"
    );
    assert!(!warnings.contains("POWERSYNC_JWT_AUDIENCE"), "{warnings}");
    assert!(!warnings.contains("JWKS URL"), "{warnings}");
}

fn assert_env_tag(value: &Yaml, name: &str) {
    match value {
        Yaml::Tagged(tagged) => {
            assert_eq!(tagged.tag, "env");
            assert_eq!(tagged.value.as_str(), Some(name));
        }
        other => panic!("expected !env {name}, found {other:?}"),
    }
}

#[test]
fn powersync_config_warns_about_loopback_jwks_and_default_audience() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("powersync");
    let output = papyrus(
        dir.path(),
        &["powersync", "config", "--out", out.to_str().unwrap()],
        &[("DATABASE_URL", "postgres://papyrus@db:5432/papyrus")],
    );
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");

    assert!(stdout.contains("service.yaml") && stdout.contains("sync-config.yaml"));
    assert!(stderr.contains("PUBLIC_BASE_URL is not set"), "{stderr}");
    assert!(
        stderr.contains("--add-host=host.docker.internal:host-gateway"),
        "{stderr}"
    );
    assert!(
        stderr.contains("POWERSYNC_JWT_AUDIENCE is not set"),
        "{stderr}"
    );
    let service = yaml(&std::fs::read_to_string(out.join("service.yaml")).unwrap());
    assert_eq!(
        service["client_auth"]["jwks_uri"].as_str(),
        Some("http://localhost:8080/v1/auth/jwks")
    );
    assert_eq!(
        service["client_auth"]["audience"][0].as_str(),
        Some("papyrus-powersync")
    );
    let sync_config = std::fs::read_to_string(out.join("sync-config.yaml")).unwrap();
    assert_eq!(sync_config, papyrus::powersync::sync_config().unwrap());
}

#[test]
fn powersync_setup_refuses_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("papyrus.db").display());
    let output = papyrus(
        dir.path(),
        &["powersync", "setup"],
        &[("DATABASE_URL", &url)],
    );

    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output)
            .1
            .contains("set DATABASE_URL to a postgres:// URL")
    );
}

/// A role for one test, dropped with what it was granted when the test ends.
/// Roles belong to the whole server, unlike the test's database.
struct TestRole {
    name: String,
    database_url: String,
}

impl TestRole {
    fn quoted(&self) -> String {
        format!("\"{}\"", self.name.replace('"', "\"\""))
    }
}

impl Drop for TestRole {
    fn drop(&mut self) {
        let (url, role) = (self.database_url.clone(), self.quoted());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&url).await?;
                let sql = format!("DROP OWNED BY {role}; DROP ROLE {role}");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop the test role {}", self.name);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn powersync_setup_creates_the_role_and_publication_once() {
    if !postgres_available().await {
        return;
    }
    let db = TestDb::create(Db::Postgres).await;
    papyrus::store::connect(&db.url)
        .await
        .unwrap()
        .migrate()
        .await
        .unwrap();
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let role = TestRole {
        name: format!("ps_test_{}\"q", &suffix[..12]),
        database_url: db.url.clone(),
    };
    let dir = tempfile::tempdir().unwrap();
    let run = |password: Option<&str>| {
        let mut vars = vec![
            ("DATABASE_URL", db.url.as_str()),
            ("POWERSYNC_SOURCE_ROLE", role.name.as_str()),
        ];
        vars.extend(password.map(|p| ("POWERSYNC_SOURCE_PASSWORD", p)));
        papyrus(dir.path(), &["powersync", "setup", "--json"], &vars)
    };

    let first = run(Some(SOURCE_PASSWORD));
    let (stdout, stderr) = text(&first);
    assert!(first.status.success(), "{stderr}");
    assert!(!stdout.contains(SOURCE_PASSWORD) && !stderr.contains(SOURCE_PASSWORD));
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["changed"], true);
    assert!(
        report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["outcome"] == "created")
    );
    assert_wal_level_or_its_fix(&db, &report, &stderr).await;
    assert_prepared(&db, &role).await;

    for password in [None, Some(SOURCE_PASSWORD)] {
        let again = run(password);
        let (stdout, stderr) = text(&again);
        assert!(again.status.success(), "{stderr}");
        let report: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(report["changed"], false, "{report}");
    }
    let human = papyrus(
        dir.path(),
        &["powersync", "setup"],
        &[
            ("DATABASE_URL", &db.url),
            ("POWERSYNC_SOURCE_ROLE", &role.name),
        ],
    );
    assert!(
        text(&human).0.contains("Nothing changed"),
        "{}",
        text(&human).0
    );
}

async fn assert_prepared(db: &TestDb, role: &TestRole) {
    let literal = role.name.replace('\'', "''");
    let checks = [
        format!("SELECT rolreplication AND rolcanlogin FROM pg_roles WHERE rolname = '{literal}'"),
        format!("SELECT has_table_privilege('{literal}'::name, 'public.books', 'SELECT')"),
        "SELECT EXISTS (SELECT 1 FROM pg_publication_tables \
         WHERE pubname = 'powersync' AND tablename = 'books')"
            .to_owned(),
    ];
    for sql in checks {
        let holds = db.scalar(&format!("SELECT ({sql})::text")).await;
        assert_eq!(holds.as_deref(), Some("true"), "{sql}");
    }
}

/// The local server may run with `wal_level = replica`: setup then says how to fix it.
async fn assert_wal_level_or_its_fix(db: &TestDb, report: &Value, stderr: &str) {
    let wal_level = db.scalar("SHOW wal_level").await.unwrap();
    assert_eq!(report["wal_level"], wal_level.as_str());
    assert_eq!(report["ready"], wal_level == "logical");
    if wal_level != "logical" {
        assert!(
            stderr.contains("ALTER SYSTEM SET wal_level = logical;"),
            "{stderr}"
        );
        assert!(stderr.contains("restart PostgreSQL"), "{stderr}");
    }
}
