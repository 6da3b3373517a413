//! Upload throughput: transactions and rows per second at 1, 10 and 100 entries per
//! transaction, on SQLite and on PostgreSQL, through the same validation and store
//! transaction the endpoint uses (HTTP excluded).
//!
//! Run with `cargo bench --bench uploads`. PostgreSQL is found through
//! `PAPYRUS_TEST_DATABASE_URL` (default: the local server as `postgres`); a database is
//! created for the run and dropped after it.

use std::time::{Duration, Instant};

use chrono::Utc;
use papyrus::store::{self, DynStore, NewUser};
use papyrus::uploads::{self, UploadOutcome};
use serde_json::{Value, json};
use sqlx::Connection;
use uuid::Uuid;

const RUN_FOR: Duration = Duration::from_secs(3);

fn batch(entries: usize) -> Value {
    let batch: Vec<Value> = (0..entries)
        .map(|i| {
            json!({"op": "PUT", "type": "books", "id": Uuid::new_v4(), "op_id": i, "tx_id": 1,
                   "data": {"title": format!("Book {i}"), "author": "Someone", "page_count": 300,
                            "is_favorite": 0, "co_authors": ["A", "B"], "rating": 4}})
        })
        .collect();
    json!({ "batch": batch })
}

async fn user(store: &DynStore) -> Uuid {
    let new = NewUser {
        user_id: Uuid::new_v4(),
        email: Some(format!("bench-{}@example.test", Uuid::new_v4().simple())),
        display_name: "Bench".into(),
        avatar_url: None,
        email_verified: false,
        password_hash: None,
        created_at: Utc::now(),
    };
    store.insert_user(&new).await.expect("user").user_id
}

async fn measure(label: &str, url: &str) {
    let store = store::connect(url).await.expect("open");
    store.migrate().await.expect("migrate");
    let owner = user(&store).await;

    for entries in [1, 10, 100] {
        let (mut transactions, mut rows) = (0u64, 0u64);
        let started = Instant::now();
        while started.elapsed() < RUN_FOR {
            let body = batch(entries);
            let raw = body.to_string();
            match uploads::upload(&store, owner, &body, raw.as_bytes()).await {
                Ok(UploadOutcome::Applied(count)) => rows += count,
                other => panic!("upload failed: {other:?}"),
            }
            transactions += 1;
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "  {label:<10} {entries:>3} entries/tx: {:>8.0} tx/s {:>9.0} rows/s",
            transactions as f64 / secs,
            rows as f64 / secs
        );
    }
}

async fn postgres_database() -> Option<(String, String, String)> {
    let admin = std::env::var("PAPYRUS_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
    let name = format!("papyrus_bench_{}", Uuid::new_v4().simple());
    let create = format!("CREATE DATABASE {name}");
    sqlx::query(sqlx::AssertSqlSafe(create))
        .execute(&mut conn)
        .await
        .ok()?;
    let mut url = url::Url::parse(&admin).ok()?;
    url.set_path(&name);
    Some((url.to_string(), admin, name))
}

#[tokio::main]
async fn main() {
    println!("Upload throughput, {}s per size:", RUN_FOR.as_secs());
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    measure("sqlite", &sqlite).await;

    let Some((url, admin, name)) = postgres_database().await else {
        println!("  postgres: not reachable (set PAPYRUS_TEST_DATABASE_URL); skipped");
        return;
    };
    measure("postgres", &url).await;
    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
        let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        let _ = sqlx::query(sqlx::AssertSqlSafe(drop))
            .execute(&mut conn)
            .await;
    }
}
