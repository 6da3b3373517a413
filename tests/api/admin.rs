//! `papyrus user`, `papyrus doctor` and `papyrus completions`: the real binary against
//! the database of a running server, or against a set-up in a temporary directory.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use reqwest::StatusCode;
use serde_json::Value;

use crate::both;
use crate::helpers::{Db, PASSWORD, TestApp, TestDb, expect_error, expect_status};

both!(
    create_from_stdin_then_log_in,
    list_and_show_in_both_formats,
    disable_refuses_a_live_token_at_once,
    set_password_signs_out_everywhere,
    sessions_are_listed_and_revoked_one_by_one,
    delete_takes_the_books_with_it,
    doctor_passes_a_healthy_set_up,
);

const NEW_PASSWORD: &str = " a new pass phrase ";

/// Runs `papyrus` in `dir` with a clean environment, feeding `stdin` when given.
fn papyrus(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_papyrus"))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start papyrus");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(input);
    child.wait_with_output().expect("papyrus output")
}

/// `papyrus user ARGS --database-url URL` against the app's database.
fn user(app: &TestApp, args: &[&str], stdin: Option<&str>) -> Output {
    let mut all = vec!["user"];
    all.extend_from_slice(args);
    all.extend(["--database-url", app.db.url.as_str()]);
    papyrus(app.db.dir(), &all, stdin)
}

/// Asserts success and parses standard output as JSON.
fn json_of(output: &Output) -> Value {
    assert!(output.status.success(), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON output")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_fails(output: &Output, code: i32, message: &str) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    assert!(stderr.contains(message), "{message:?} not in {stderr}");
}

async fn create_from_stdin_then_log_in(db: Db) {
    let app = TestApp::spawn(db).await;
    let args = [
        "create",
        "--email",
        " New@Example.com",
        "--display-name",
        "New Reader",
        "--password-stdin",
        "--json",
    ];
    let created = json_of(&user(&app, &args, Some(&format!("{NEW_PASSWORD}\n"))));
    assert_eq!(created["email"], "new@example.com");
    assert_eq!(created["display_name"], "New Reader");
    assert_eq!(created["email_verified"], false);

    let login = app.login("new@example.com", NEW_PASSWORD).await;
    let body = expect_status(login, StatusCode::OK).await;
    assert_eq!(body["user"]["user_id"], created["user_id"], "{body}");

    let taken = user(&app, &args, Some("another password\n"));
    assert_fails(&taken, 1, "already exists");
    let weak = ["create", "--email", "weak@example.com", "--password-stdin"];
    assert_fails(&user(&app, &weak, Some("short\n")), 2, "at least 8");
    let no_terminal = ["create", "--email", "tty@example.com"];
    assert_fails(&user(&app, &no_terminal, None), 2, "--password-stdin");
}

async fn list_and_show_in_both_formats(db: Db) {
    let app = TestApp::spawn(db).await;
    app.register("ada@example.com").await;
    app.register("grace_h@example.com").await;

    let listed = json_of(&user(&app, &["list", "--json"], None));
    let listed = listed.as_array().expect("array");
    assert_eq!(listed.len(), 2);
    assert!(
        listed
            .iter()
            .all(|u| u["sessions"] == 1 && u["disabled"] == false)
    );
    let search = ["list", "--json", "--search", "E_H@"];
    let found = json_of(&user(&app, &search, None));
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(found[0]["email"], "grace_h@example.com");
    let wildcard = json_of(&user(&app, &["list", "--json", "--search", "a_a"], None));
    assert_eq!(wildcard, serde_json::json!([]), "_ matches only itself");
    let none = json_of(&user(&app, &["list", "--json", "--disabled"], None));
    assert_eq!(none, serde_json::json!([]));

    let table = text(&user(&app, &["list"], None).stdout);
    assert!(table.starts_with("id "), "{table}");
    assert!(
        table.contains("last login") && table.contains("ada@example.com"),
        "{table}"
    );

    let shown = json_of(&user(&app, &["show", "ADA@example.com", "--json"], None));
    assert_eq!(shown["books"], 0);
    assert_eq!(shown["identities"], serde_json::json!([]));
    assert_eq!(shown["sessions"][0]["client_type"], "mobile");
    assert_eq!(shown["sessions"][0]["device_label"], "test-device");
    let by_id = shown["user_id"].as_str().unwrap();
    let human = text(&user(&app, &["show", by_id], None).stdout);
    assert!(human.contains("ada@example.com") && human.contains("Live sessions (1)"));

    assert_fails(
        &user(&app, &["show", "nobody@example.com"], None),
        1,
        "no user",
    );
}

async fn disable_refuses_a_live_token_at_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let tokens = app.register("off@example.com").await;
    let access = tokens["access_token"].as_str().unwrap();
    expect_status(app.get_auth("/v1/users/me", access).await, StatusCode::OK).await;

    let disabled = json_of(&user(&app, &["disable", "off@example.com", "--json"], None));
    assert_eq!(disabled["disabled"], true);
    let refused = app.get_auth("/v1/users/me", access).await;
    expect_error(refused, StatusCode::UNAUTHORIZED, "SESSION_REVOKED").await;
    let login = app.login("off@example.com", PASSWORD).await;
    expect_error(login, StatusCode::FORBIDDEN, "ACCOUNT_DISABLED").await;
    let listed = json_of(&user(&app, &["list", "--disabled", "--json"], None));
    assert_eq!(listed[0]["sessions"], 0);

    let enabled = json_of(&user(&app, &["enable", "off@example.com", "--json"], None));
    assert_eq!(enabled["disabled"], false);
    let refused = app.get_auth("/v1/users/me", access).await;
    expect_error(refused, StatusCode::UNAUTHORIZED, "SESSION_REVOKED").await;
    let login = app.login("off@example.com", PASSWORD).await;
    expect_status(login, StatusCode::OK).await;
}

async fn set_password_signs_out_everywhere(db: Db) {
    let app = TestApp::spawn(db).await;
    let tokens = app.register("pw@example.com").await;
    let access = tokens["access_token"].as_str().unwrap();

    let stdin = format!("{NEW_PASSWORD}\r\n");
    let args = ["set-password", "pw@example.com", "--password-stdin"];
    let output = user(&app, &args, Some(&stdin));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("sessions are revoked"));

    let refused = app.get_auth("/v1/users/me", access).await;
    expect_error(refused, StatusCode::UNAUTHORIZED, "SESSION_REVOKED").await;
    let old = app.login("pw@example.com", PASSWORD).await;
    expect_error(old, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    expect_status(
        app.login("pw@example.com", NEW_PASSWORD).await,
        StatusCode::OK,
    )
    .await;
    let no_terminal = user(&app, &["set-password", "pw@example.com"], None);
    assert_fails(&no_terminal, 2, "--password-stdin");
}

async fn sessions_are_listed_and_revoked_one_by_one(db: Db) {
    let app = TestApp::spawn(db).await;
    app.register("two@example.com").await;
    let other = app.register("other@example.com").await;
    expect_status(app.login("two@example.com", PASSWORD).await, StatusCode::OK).await;

    let sessions = json_of(&user(
        &app,
        &["sessions", "two@example.com", "--json"],
        None,
    ));
    let sessions = sessions.as_array().expect("array").clone();
    assert_eq!(sessions.len(), 2);
    let newest = sessions[0]["session_id"].as_str().unwrap();
    assert_eq!(sessions[0]["client_type"], "desktop", "newest first");

    let one = [
        "revoke-sessions",
        "two@example.com",
        "--session",
        newest,
        "--json",
    ];
    assert_eq!(json_of(&user(&app, &one, None))["revoked"], 1);
    let again = json_of(&user(&app, &one, None));
    assert_eq!(again["revoked"], 0, "already revoked");
    let theirs = other_session(&app, &other).await;
    let wrong = [
        "revoke-sessions",
        "two@example.com",
        "--session",
        theirs.as_str(),
    ];
    assert_fails(&user(&app, &wrong, None), 1, "has no session");

    let all = ["revoke-sessions", "two@example.com", "--json"];
    assert_eq!(json_of(&user(&app, &all, None))["revoked"], 1);
    let left = text(&user(&app, &["sessions", "two@example.com"], None).stdout);
    assert_eq!(left.trim(), "No live sessions.");
    let untouched = json_of(&user(
        &app,
        &["sessions", "other@example.com", "--json"],
        None,
    ));
    assert_eq!(untouched.as_array().map(Vec::len), Some(1));
}

async fn other_session(app: &TestApp, tokens: &Value) -> String {
    let access = tokens["access_token"].as_str().unwrap();
    let me = expect_status(app.get_auth("/v1/users/me", access).await, StatusCode::OK).await;
    let email = me["email"].as_str().unwrap();
    let listed = json_of(&user(app, &["sessions", email, "--json"], None));
    listed[0]["session_id"].as_str().unwrap().to_owned()
}

async fn delete_takes_the_books_with_it(db: Db) {
    let app = TestApp::spawn(db).await;
    let tokens = app.register("gone@example.com").await;
    let user_id = tokens["user"]["user_id"].as_str().unwrap().to_owned();
    app.register("stays@example.com").await;
    app.db
        .exec(&format!(
            "INSERT INTO books (book_id, owner_user_id, title) VALUES \
             ('{}', '{user_id}', 'Middlemarch'), ('{}', '{user_id}', 'Emma')",
            uuid::Uuid::new_v4(),
            uuid::Uuid::new_v4()
        ))
        .await;
    let shown = json_of(&user(&app, &["show", &user_id, "--json"], None));
    assert_eq!(shown["books"], 2);

    let unconfirmed = user(&app, &["delete", "gone@example.com"], None);
    assert_fails(&unconfirmed, 2, "--yes");
    let deleted = json_of(&user(&app, &["delete", &user_id, "--yes", "--json"], None));
    assert_eq!(deleted["books"], 2);

    assert_eq!(app.db.scalar("SELECT title FROM books").await, None);
    let sessions = format!("SELECT client_type FROM auth_sessions WHERE user_id = '{user_id}'");
    assert_eq!(app.db.scalar(&sessions).await, None);
    assert_fails(
        &user(&app, &["show", "gone@example.com"], None),
        1,
        "no user",
    );
    let rest = json_of(&user(&app, &["list", "--json"], None));
    assert_eq!(rest[0]["email"], "stays@example.com");
}

/// The statuses of a doctor report, by check name.
fn statuses(report: &Value) -> std::collections::BTreeMap<String, String> {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn doctor_passes_a_healthy_set_up(db: Db) {
    let db = TestDb::create(db).await;
    let dir = db.dir();
    let url = ["--database-url", db.url.as_str()];
    let migrated = papyrus(dir, &[&["db", "migrate"][..], &url].concat(), None);
    assert!(migrated.status.success(), "{}", text(&migrated.stderr));
    let keys = papyrus(dir, &["keys", "generate"], None);
    assert!(keys.status.success(), "{}", text(&keys.stderr));

    let report = json_of(&papyrus(
        dir,
        &[&["doctor", "--json"][..], &url].concat(),
        None,
    ));
    assert_eq!(report["ok"], true, "{report}");
    let statuses = statuses(&report);
    for name in [
        "configuration",
        "database",
        "migrations",
        "key set",
        "key files",
    ] {
        assert_eq!(statuses[name], "pass", "{name}: {report}");
    }
    assert_eq!(statuses["PowerSync audience"], "warn");
    let replication = if db.kind == Db::Sqlite {
        "skip"
    } else {
        "warn"
    };
    assert_eq!(statuses["publication"], replication, "{report}");
    assert_eq!(statuses["replication role"], replication, "{report}");
    assert!(
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] != "fail")
    );
}

#[test]
fn doctor_names_missing_keys_and_pending_migrations_with_their_fixes() {
    let dir = tempfile::tempdir().unwrap();
    let created = papyrus(dir.path(), &["db", "status"], None);
    assert!(created.status.success(), "{}", text(&created.stderr));

    let output = papyrus(dir.path(), &["doctor"], None);
    assert_fails(&output, 1, "check(s) failed");
    let report = text(&output.stdout);
    assert!(
        !report.contains('\x1b'),
        "no colour without a terminal: {report}"
    );
    let line = |name: &str| {
        let found = report
            .lines()
            .find(|l| l.get(6..).is_some_and(|l| l.starts_with(name)));
        found
            .unwrap_or_else(|| panic!("no {name} line in {report}"))
            .to_owned()
    };
    assert!(line("migrations").starts_with("fail"), "{report}");
    assert!(line("key set").starts_with("fail"), "{report}");
    assert!(report.contains("fix: run `papyrus db migrate`"), "{report}");
    assert!(
        report.contains("fix: run `papyrus keys generate`"),
        "{report}"
    );
    assert!(
        !dir.path().join("papyrus-data/keys").exists(),
        "the doctor writes nothing"
    );

    let json = papyrus(dir.path(), &["doctor", "--json"], None);
    assert_eq!(json.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["failures"], 2, "{report}");
    assert_eq!(statuses(&report)["database"], "pass");
}

#[test]
fn doctor_reports_configuration_it_cannot_use() {
    let dir = tempfile::tempdir().unwrap();
    let output = papyrus(dir.path(), &["doctor", "--env", "production"], None);
    assert_fails(&output, 1, "check(s) failed");
    let report = text(&output.stdout);
    assert!(report.starts_with("fail  configuration"), "{report}");
    assert!(
        report.contains("SECRET_KEY") && report.contains("DATABASE_URL"),
        "{report}"
    );
}

#[test]
fn completions_are_printed_for_each_shell() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let output = papyrus(dir.path(), &["completions", shell], None);
        assert!(output.status.success(), "{}", text(&output.stderr));
        let script = text(&output.stdout);
        assert!(
            script.contains("papyrus") && script.contains("revoke-sessions"),
            "{shell}"
        );
    }
    let unknown = papyrus(dir.path(), &["completions", "tcsh"], None);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn help_documents_the_exit_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let help = text(&papyrus(dir.path(), &["--help"], None).stdout);
    assert!(
        help.contains("1  the operation failed") && help.contains("2  usage or"),
        "{help}"
    );
    assert!(help.contains("doctor") && help.contains("user") && help.contains("completions"));
}
