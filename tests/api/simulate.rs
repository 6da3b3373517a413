//! `papyrus sync simulate` against a real server, and the sample upload batches in
//! `fixtures/uploads/`.

use std::path::PathBuf;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

use crate::both;
use crate::helpers::{Db, TestApp, expect_status};

both!(
    simulation_with_faults_matches_the_database,
    strict_rejections_are_rejections_too,
    fixtures_are_applied_or_rejected_whole,
);

/// Every fixture, and whether the server applies it. `invalid-missing-title` passes
/// validation: only the store knows the row is missing, so only it can refuse it.
const FIXTURES: &[(&str, bool)] = &[
    ("valid-put", true),
    ("valid-mixed", true),
    ("invalid-unknown-field", false),
    ("invalid-bad-type", false),
    ("invalid-missing-title", false),
];

fn fixture(name: &str) -> Value {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "fixtures", "uploads"]
        .iter()
        .collect::<PathBuf>()
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

#[test]
fn fixtures_validate_as_their_names_say() {
    for (name, _) in FIXTURES {
        let parsed = papyrus::sync::parse_batch(&fixture(name));

        let passes_validation = name.starts_with("valid") || *name == "invalid-missing-title";
        assert_eq!(parsed.is_ok(), passes_validation, "{name}: {parsed:?}");
    }
}

async fn fixtures_are_applied_or_rejected_whole(db: Db) {
    let app = TestApp::spawn(db).await;
    let user = app.register("fixtures@example.com").await;
    let token = user["access_token"].as_str().unwrap();

    for (name, applies) in FIXTURES {
        let response = app
            .post_auth("/v1/sync/powersync-upload", token, Some(fixture(name)))
            .await;
        let body = expect_status(response, StatusCode::OK).await;

        let status = if *applies { "applied" } else { "rejected" };
        assert_eq!(body["status"], status, "{name}: {body}");
    }

    let user_id: Uuid = user["user"]["user_id"].as_str().unwrap().parse().unwrap();
    let store = papyrus::store::connect(&app.db.url).await.unwrap();
    let books = store.count_books(user_id).await.unwrap();
    assert_eq!(books, 2, "one book from valid-put, one left by valid-mixed");
}

/// Runs `sync simulate` with these flags against `app`; returns its JSON summary.
fn simulate(app: &TestApp, flags: &[&str]) -> Value {
    let server = format!("http://{}", app.address);
    let output = Command::new(env!("CARGO_BIN_EXE_papyrus"))
        .args(["sync", "simulate", "--server", &server, "--json"])
        .args(["--database-url", &app.db.url])
        .args(flags)
        .env_clear()
        .output()
        .unwrap();

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    serde_json::from_str(&stdout).unwrap()
}

async fn simulation_with_faults_matches_the_database(db: Db) {
    let app = TestApp::spawn(db).await;

    let report = simulate(
        &app,
        &[
            "--users",
            "3",
            "--transactions",
            "10",
            "--ops",
            "5",
            "--concurrency",
            "3",
            "--seed",
            "7",
            "--faults",
        ],
    );

    assert_eq!(report["mismatches"], 0, "{report}");
    assert_eq!(report["database_checked"], true, "{report}");
    assert!(report["applied"].as_u64().unwrap() > 0, "{report}");
    assert!(report["rejected"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(report["transactions_answered"], 30, "{report}");
}

async fn strict_rejections_are_rejections_too(db: Db) {
    let app = TestApp::spawn_with(db, |config| config.sync.strict_rejections = true).await;

    let report = simulate(&app, &["--users", "2", "--transactions", "8", "--faults"]);

    assert_eq!(report["mismatches"], 0, "{report}");
    assert_eq!(report["rejected"], report["faults_sent"], "{report}");
}
