//! Starting the real server on an ephemeral port against a fresh database.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::Utc;
use papyrus::config::ServerConfig;
use papyrus::keys::{self, KeyStore, KeyWatch};
use papyrus::store;
use reqwest::{Client, Response, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use sqlx::Connection;
use tokio::sync::oneshot;

pub const SECRET: &str = "integration-test-secret-integration-test-secret";
pub const PASSWORD: &str = "correct horse battery";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Generates one test per database from `async fn name(db: Db)` functions.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Db::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if $crate::helpers::postgres_available().await {
                        super::$name($crate::helpers::Db::Postgres).await
                    }
                }
            )*
        }
    };
}

/// The server the PostgreSQL tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("PAPYRUS_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Whether PostgreSQL answers. Under `CI=true` an unreachable server fails the test;
/// elsewhere the test is skipped with a loud message.
pub async fn postgres_available() -> bool {
    let url = postgres_admin_url();
    let reachable =
        tokio::time::timeout(Duration::from_secs(5), sqlx::PgConnection::connect(&url)).await;
    if matches!(reachable, Ok(Ok(_))) {
        return true;
    }
    let message = format!(
        "PostgreSQL is not reachable at {url} (set PAPYRUS_TEST_DATABASE_URL): \
         the PostgreSQL half of this test did not run"
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{message}");
    }
    eprintln!("\n!!!!!!!! {message} !!!!!!!!\n");
    false
}

/// A database that exists for one test and is dropped after it.
pub struct TestDb {
    pub kind: Db,
    pub url: String,
    name: String,
    _dir: tempfile::TempDir,
}

impl TestDb {
    pub async fn create(kind: Db) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let name = format!("papyrus_test_{}", uuid::Uuid::new_v4().simple());
        let url = match kind {
            Db::Sqlite => format!("sqlite://{}", dir.path().join("test.db").display()),
            Db::Postgres => {
                let admin = postgres_admin_url();
                let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create database");
                let mut url = url::Url::parse(&admin).expect("admin url");
                url.set_path(&name);
                url.to_string()
            }
        };
        Self {
            kind,
            url,
            name,
            _dir: dir,
        }
    }

    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// Runs one statement, for arranging states the API cannot reach.
    pub async fn exec(&self, sql: &str) {
        match self.kind {
            Db::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.url)
                    .await
                    .expect("connect");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                    .execute(&mut conn)
                    .await
                    .expect(sql);
            }
            Db::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url)
                    .await
                    .expect("connect");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                    .execute(&mut conn)
                    .await
                    .expect(sql);
            }
        }
    }

    /// The first column of the first row, as text.
    pub async fn scalar(&self, sql: &str) -> Option<String> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self.kind {
            Db::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.url)
                    .await
                    .expect("connect");
                sqlx::query_scalar(sql)
                    .fetch_optional(&mut conn)
                    .await
                    .expect("query")
            }
            Db::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url)
                    .await
                    .expect("connect");
                sqlx::query_scalar(sql)
                    .fetch_optional(&mut conn)
                    .await
                    .expect("query")
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if self.kind != Db::Postgres {
            return;
        }
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let mut conn = sqlx::PgConnection::connect(&postgres_admin_url()).await?;
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop test database {}", self.name);
        }
    }
}

/// A running server and a client for it.
pub struct TestApp {
    pub address: SocketAddr,
    pub client: Client,
    pub db: TestDb,
    /// The key set directory the server watches, when signing is configured.
    pub keys_dir: std::path::PathBuf,
    _watch: Option<KeyWatch>,
    shutdown: Option<oneshot::Sender<()>>,
}

/// The configuration tests start from: no rate limit, a fixed secret.
pub fn test_config() -> ServerConfig {
    let mut config = ServerConfig::development(SecretString::from(SECRET));
    config.rate_limit_auth = 0;
    config
}

impl TestApp {
    pub async fn spawn(kind: Db) -> Self {
        Self::spawn_with(kind, |_| {}).await
    }

    pub async fn spawn_with(kind: Db, adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        Self::start(kind, true, adjust).await
    }

    /// A server whose PowerSync signing is not configured.
    pub async fn spawn_without_keys(kind: Db) -> Self {
        Self::start(kind, false, |_| {}).await
    }

    async fn start(kind: Db, with_keys: bool, adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        let db = TestDb::create(kind).await;
        let keys_dir = db.dir().join("keys");
        let keys = with_keys.then(|| {
            keys::generate(
                &keys_dir,
                Some("test-key-1".into()),
                2048,
                false,
                Utc::now(),
            )
            .expect("generate keys");
            KeyStore::open(&keys_dir, Utc::now()).expect("open keys")
        });
        let watch = keys.as_ref().and_then(|k| k.watch().expect("watch keys"));
        let store = store::connect(&db.url).await.expect("open store");
        store.migrate().await.expect("migrate");
        let mut config = test_config();
        adjust(&mut config);

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let shutdown = async {
                let _ = rx.await;
            };
            papyrus::server::launch(config, store, keys, listener, shutdown)
                .await
                .expect("server");
        });

        Self {
            address,
            client: Client::new(),
            keys_dir,
            _watch: watch,
            db,
            shutdown: Some(tx),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_auth(&self, path: &str, token: &str, body: Option<Value>) -> Response {
        let request = self.client.post(self.url(path)).bearer_auth(token);
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        request.send().await.expect("request")
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// Registers `email` with [`PASSWORD`] and returns the AuthTokens body.
    pub async fn register(&self, email: &str) -> Value {
        let response = self
            .post(
                "/v1/auth/register",
                json!({
                    "email": email, "password": PASSWORD, "display_name": "Reader",
                    "client_type": "mobile", "device_label": "test-device"
                }),
            )
            .await;
        expect_status(response, StatusCode::CREATED).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post(
            "/v1/auth/login",
            json!({ "email": email, "password": password, "client_type": "desktop" }),
        )
        .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.post(
            "/v1/auth/refresh",
            json!({ "refresh_token": refresh_token }),
        )
        .await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Asserts the status and returns the JSON body, showing the body on a mismatch.
pub async fn expect_status(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let text = response.text().await.expect("body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }
}

/// Asserts an error envelope with this status and code; returns the `error` member.
pub async fn expect_error(response: Response, status: StatusCode, code: &str) -> Value {
    let body = expect_status(response, status).await;
    let error = body
        .get("error")
        .unwrap_or_else(|| panic!("no envelope: {body}"));
    assert_eq!(error["code"], code, "{body}");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(error["details"].is_object(), "{body}");
    error.clone()
}
