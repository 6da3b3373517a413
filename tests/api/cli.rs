//! The `papyrus` binary itself: zero-config start, production refusal, migrations.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::{Db, TestDb, postgres_available};

fn papyrus(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_papyrus"));
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    command
}

#[test]
fn serve_with_no_configuration_just_works() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = papyrus(dir.path())
        .args(["serve", "--port", "0", "--log-format", "json"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();

    let mut warnings = 0;
    let address = loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .unwrap();
        if line.contains("development set-up") {
            warnings += 1;
        }
        if let Some(rest) = line.split("listening on http://").nth(1) {
            assert!(line.contains("sqlite://"), "{line}");
            assert!(line.contains("development mode"), "{line}");
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    assert_eq!(warnings, 1, "one clear development warning");

    let health = reqwest::blocking_get(&format!("http://{address}/health"));
    assert_eq!(health, r#"{"status":"healthy"}"#);
    let password = "a-password-nobody-should-log";
    let registered = reqwest::blocking_post(
        &format!("http://{address}/v1/auth/register"),
        serde_json::json!({"email": "logs@example.com", "password": password, "display_name": "L"}),
    );
    let refresh_token = registered["refresh_token"].as_str().unwrap().to_owned();
    let access_token = registered["access_token"].as_str().unwrap().to_owned();
    let secret = dir.path().join("papyrus-data/secret_key");
    assert!(dir.path().join("papyrus-data/papyrus.db").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let data_dir = dir.path().join("papyrus-data");
        let mode = std::fs::metadata(data_dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "the data directory is private");
    }

    let status = stop(&mut child);
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
    let secret = std::fs::read_to_string(&secret).unwrap();
    let mut request_lines = 0;
    for line in lines.map_while(Result::ok) {
        request_lines += usize::from(line.contains("/v1/auth/register"));
        for leaked in [&secret, password, &refresh_token, &access_token] {
            assert!(!line.contains(leaked), "a secret reached the log: {line}");
        }
    }
    assert_eq!(request_lines, 1, "one log line per request");
}

/// Sends SIGTERM and waits for the exit status.
fn stop(child: &mut std::process::Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    panic!("server did not stop on SIGTERM");
}

#[test]
fn production_refuses_to_start_without_explicit_settings() {
    let dir = tempfile::tempdir().unwrap();
    let output = papyrus(dir.path())
        .args(["serve", "--port", "0"])
        .env("PAPYRUS_ENV", "production")
        .env("SECRET_KEY", "too-short")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SECRET_KEY is 9 bytes long"), "{stderr}");
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    assert!(
        !dir.path().join("papyrus-data").exists(),
        "production generates nothing"
    );

    let output = papyrus(dir.path())
        .args(["serve", "--port", "0"])
        .env("ALGORITHM", "RS512")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("only HS256"));
}

#[test]
fn dotenv_in_the_working_directory_is_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "PAPYRUS_ENV=production\nSECRET_KEY=abc\n",
    )
    .unwrap();
    let output = papyrus(dir.path()).args(["serve"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("SECRET_KEY is 3 bytes long"));
}

fn db_command(db: &TestDb, args: &[&str]) -> serde_json::Value {
    let output = papyrus(db.dir())
        .args(args)
        .args(["--json", "--database-url", &db.url])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

async fn migrations_are_listed_and_applied(kind: Db) {
    let db = TestDb::create(kind).await;
    let status = db_command(&db, &["db", "status"]);
    let pending = status.as_array().unwrap();
    assert!(!pending.is_empty());
    assert!(pending.iter().all(|m| m["applied"] == false), "{status}");

    let applied = db_command(&db, &["db", "migrate"]);
    assert_eq!(applied["applied"].as_array().unwrap().len(), pending.len());
    let status = db_command(&db, &["db", "status"]);
    assert!(
        status
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["applied"] == true)
    );
    let again = db_command(&db, &["db", "migrate"]);
    assert_eq!(again["applied"], serde_json::json!([]));
}

#[tokio::test]
async fn sqlite_migrations_are_listed_and_applied() {
    migrations_are_listed_and_applied(Db::Sqlite).await;
}

#[tokio::test]
async fn postgres_migrations_are_listed_and_applied() {
    if postgres_available().await {
        migrations_are_listed_and_applied(Db::Postgres).await;
    }
}

mod reqwest {
    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// A GET with no async runtime, for tests that drive the binary.
    pub fn blocking_get(url: &str) -> String {
        runtime().block_on(async { ::reqwest::get(url).await.unwrap().text().await.unwrap() })
    }

    /// A JSON POST with no async runtime; returns the JSON answer.
    pub fn blocking_post(url: &str, body: serde_json::Value) -> serde_json::Value {
        runtime().block_on(async {
            let client = ::reqwest::Client::new();
            let response = client.post(url).json(&body).send().await.unwrap();
            response.json().await.unwrap()
        })
    }
}

/// Starts `papyrus serve` on an ephemeral port and returns it with its address.
fn spawn_serve(dir: &std::path::Path, args: &[&str]) -> (std::process::Child, String) {
    let mut child = papyrus(dir)
        .args(["serve", "--port", "0"])
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    (child, address)
}

fn served_kid(address: &str) -> String {
    let jwks = reqwest::blocking_get(&format!("http://{address}/v1/auth/jwks"));
    let jwks: serde_json::Value = serde_json::from_str(&jwks).unwrap();
    jwks["keys"][0]["kid"].as_str().unwrap().to_owned()
}

/// The key directory is a symlink; repointing it is invisible to the directory
/// watcher (which follows the old target), so only SIGHUP can make the server see it.
#[cfg(unix)]
#[test]
fn sighup_reloads_the_key_set() {
    let dir = tempfile::tempdir().unwrap();
    for (set, kid) in [("set-a", "a-key"), ("set-b", "b-key")] {
        let keys = dir.path().join(set);
        let status = papyrus(dir.path())
            .args([
                "keys",
                "generate",
                "--kid",
                kid,
                "--keys-dir",
                keys.to_str().unwrap(),
            ])
            .status()
            .unwrap();
        assert!(status.success());
    }
    let link = dir.path().join("keys");
    std::os::unix::fs::symlink(dir.path().join("set-a"), &link).unwrap();
    let (mut child, address) = spawn_serve(dir.path(), &["--keys-dir", link.to_str().unwrap()]);
    assert_eq!(served_kid(&address), "a-key");

    let next = dir.path().join("keys.next");
    std::os::unix::fs::symlink(dir.path().join("set-b"), &next).unwrap();
    std::fs::rename(&next, &link).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        served_kid(&address),
        "a-key",
        "the watcher cannot see a repointed link"
    );

    let pid = child.id().to_string();
    Command::new("kill").args(["-HUP", &pid]).status().unwrap();
    let started = std::time::Instant::now();
    while served_kid(&address) != "b-key" {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "SIGHUP did not reload the keys"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(stop(&mut child).success());
}
