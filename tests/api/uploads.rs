//! `POST /v1/sync/powersync-upload`: atomic transactions over the books slice.

use reqwest::StatusCode;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::both;
use crate::helpers::{Db, TestApp, expect_error, expect_status};

both!(
    put_patch_delete_apply_in_order,
    cross_user_write_rejects_the_whole_transaction,
    invalid_last_entry_leaves_no_trace,
    strict_mode_answers_403_and_422,
    server_controlled_fields_are_ignored,
    validation_details_name_entry_row_and_field,
    create_without_title_is_rejected,
    replaying_a_batch_reaches_the_same_state,
    two_users_racing_for_one_id_never_share_it,
    malformed_uploads_and_limits,
    settings_are_public_and_neutral,
    rejections_are_listed_by_the_cli,
);

struct Reader {
    user_id: Uuid,
    token: String,
}

async fn reader(app: &TestApp, email: &str) -> Reader {
    let body = app.register(email).await;
    Reader {
        user_id: body["user"]["user_id"].as_str().unwrap().parse().unwrap(),
        token: body["access_token"].as_str().unwrap().to_owned(),
    }
}

async fn upload(app: &TestApp, who: &Reader, batch: Value) -> reqwest::Response {
    let body = json!({ "batch": batch });
    app.post_auth("/v1/sync/powersync-upload", &who.token, Some(body))
        .await
}

async fn applied(app: &TestApp, who: &Reader, batch: Value) -> u64 {
    let body = expect_status(upload(app, who, batch).await, StatusCode::OK).await;
    assert_eq!(body["status"], "applied", "{body}");
    body["applied_count"].as_u64().unwrap()
}

async fn rejected(app: &TestApp, who: &Reader, batch: Value, code: &str) -> Value {
    let body = expect_status(upload(app, who, batch).await, StatusCode::OK).await;
    assert_eq!(body["status"], "rejected", "{body}");
    assert_eq!(body["applied_count"], 0);
    assert_eq!(body["error"]["code"], code, "{body}");
    body["error"].clone()
}

async fn books(app: &TestApp, who: &Reader) -> Vec<Map<String, Value>> {
    let store = papyrus::store::connect(&app.db.url).await.unwrap();
    store
        .sync_rows(&papyrus::sync::books::BOOKS, who.user_id)
        .await
        .unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.db
        .scalar(&format!("SELECT CAST(({sql}) AS TEXT)"))
        .await
        .unwrap()
        .parse()
        .unwrap()
}

fn put(id: Uuid, data: Value) -> Value {
    json!({"op": "PUT", "type": "books", "id": id, "data": data, "op_id": 1, "tx_id": 1})
}

fn entry(op: &str, id: Uuid, data: Value) -> Value {
    json!({"op": op, "type": "books", "id": id, "data": data, "op_id": 2, "tx_id": 1})
}

async fn put_patch_delete_apply_in_order(db: Db) {
    let app = TestApp::spawn(db).await;
    let ada = reader(&app, "ada@example.com").await;
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());

    let created = applied(
        &app,
        &ada,
        json!([
            put(
                a,
                json!({"title": "Dune", "page_count": "412", "is_favorite": 1,
                      "co_authors": "[\"Herbert\"]", "custom_metadata": {"shelf": 2},
                      "current_position": 10837.741258730879,
                      "added_at": "2026-01-02T03:04:05+02:00"})
            ),
            entry("patch", b, json!({"title": "Emma", "rating": 4.0})),
        ]),
    )
    .await;
    assert_eq!(created, 2);
    let rows = books(&app, &ada).await;
    let dune = rows.iter().find(|r| r["id"] == a.to_string()).unwrap();
    assert_eq!(dune["page_count"], 412);
    assert_eq!(dune["is_favorite"], true);
    assert_eq!(dune["co_authors"], json!(["Herbert"]));
    assert_eq!(dune["custom_metadata"], json!({"shelf": 2}));
    assert_eq!(
        dune["current_position"], 10837.741258730879,
        "reals keep every digit"
    );
    let added = dune["added_at"].as_str().unwrap();
    assert!(added.starts_with("2026-01-02T01:04:05"), "{added}");

    let changed = applied(
        &app,
        &ada,
        json!([
            entry(
                "PATCH",
                a,
                json!({"author": "Frank Herbert", "subtitle": null})
            ),
            entry("DELETE", b, Value::Null),
            json!({"op": "DELETE", "type": "books", "id": Uuid::new_v4()}),
        ]),
    )
    .await;
    assert_eq!(changed, 2, "the missing delete counts 0");
    let rows = books(&app, &ada).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["author"], "Frank Herbert");
    assert_eq!(
        rows[0]["title"], "Dune",
        "a PATCH leaves other fields alone"
    );
}

async fn cross_user_write_rejects_the_whole_transaction(db: Db) {
    let app = TestApp::spawn(db).await;
    let ada = reader(&app, "ada@example.com").await;
    let eve = reader(&app, "eve@example.com").await;
    let owned = Uuid::new_v4();
    applied(&app, &ada, json!([put(owned, json!({"title": "Mine"}))])).await;

    let fresh = Uuid::new_v4();
    let batch = json!([
        put(fresh, json!({"title": "Eve's own"})),
        entry("PATCH", owned, json!({"title": "Stolen"})),
    ]);
    let error = rejected(&app, &eve, batch, "FORBIDDEN").await;
    assert_eq!(error["details"]["entry"], 1);
    assert_eq!(error["details"]["id"], owned.to_string());

    assert!(
        books(&app, &eve).await.is_empty(),
        "nothing of the transaction applied"
    );
    assert_eq!(books(&app, &ada).await[0]["title"], "Mine");
    let delete = json!([entry("DELETE", owned, Value::Null)]);
    rejected(&app, &eve, delete, "FORBIDDEN").await;
    assert_eq!(books(&app, &ada).await.len(), 1);

    let journal = "SELECT COUNT(*) FROM sync_rejections WHERE code = 'FORBIDDEN'";
    assert_eq!(count(&app, journal).await, 2);
    let flagged = count(
        &app,
        "SELECT COUNT(*) FROM sync_rejections WHERE cross_user",
    )
    .await;
    assert_eq!(flagged, 2);
    let kept = app
        .db
        .scalar("SELECT batch FROM sync_rejections LIMIT 1")
        .await
        .unwrap();
    assert!(
        kept.contains(&owned.to_string()),
        "the batch is kept as received"
    );
}

async fn invalid_last_entry_leaves_no_trace(db: Db) {
    let app = TestApp::spawn(db).await;
    let ada = reader(&app, "ada@example.com").await;
    let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());

    let batch = json!([
        put(a, json!({"title": "One"})),
        put(b, json!({"title": "Two"})),
        entry("PATCH", c, json!({"title": "Three", "rating": "five"})),
    ]);
    let error = rejected(&app, &ada, batch, "VALIDATION_ERROR").await;
    let problem = &error["details"]["errors"][0];
    assert_eq!(problem["entry"], 2);
    assert_eq!(problem["id"], c.to_string());
    assert_eq!(problem["field"], "rating");
    assert!(books(&app, &ada).await.is_empty());
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sync_rejections").await, 1);
}

async fn strict_mode_answers_403_and_422(db: Db) {
    let app = TestApp::spawn_with(db, |c| c.sync.strict_rejections = true).await;
    let ada = reader(&app, "ada@example.com").await;
    let eve = reader(&app, "eve@example.com").await;
    let owned = Uuid::new_v4();
    applied(&app, &ada, json!([put(owned, json!({"title": "Mine"}))])).await;

    let theft = upload(&app, &eve, json!([put(owned, json!({"title": "x"}))])).await;
    expect_error(theft, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let invalid = upload(
        &app,
        &ada,
        json!([put(Uuid::new_v4(), json!({"pages": 1}))]),
    )
    .await;
    let error = expect_error(
        invalid,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(error["details"]["errors"][0]["field"], "pages");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sync_rejections").await, 2);
}

async fn server_controlled_fields_are_ignored(db: Db) {
    let app = TestApp::spawn(db).await;
    let ada = reader(&app, "ada@example.com").await;
    let eve = reader(&app, "eve@example.com").await;
    let id = Uuid::new_v4();

    let data = json!({"title": "Mine", "owner_user_id": eve.user_id,
                      "updated_at": "2001-01-01T00:00:00Z"});
    applied(&app, &ada, json!([put(id, data)])).await;
    let rows = books(&app, &ada).await;
    assert_eq!(rows.len(), 1, "the owner is always the caller");
    assert!(!rows[0]["updated_at"].as_str().unwrap().starts_with("2001"));
    assert!(books(&app, &eve).await.is_empty());
}

async fn validation_details_name_entry_row_and_field(db: Db) {
    let app = TestApp::spawn(db).await;
    let ada = reader(&app, "ada@example.com").await;
    let id = Uuid::new_v4();

    let cases = [
        (put(id, json!({"title": "x", "colour": "red"})), "colour"),
        (put(id, json!({"title": "x".repeat(501)})), "title"),
        (
            put(id, json!({"title": "x", "is_favorite": "yes"})),
            "is_favorite",
        ),
        (
            put(id, json!({"title": "x", "added_at": "yesterday"})),
            "added_at",
        ),
        (
            put(id, json!({"title": "x", "co_authors": [1]})),
            "co_authors",
        ),
        (
            put(id, json!({"title": "x", "custom_metadata": "[]"})),
            "custom_metadata",
        ),
    ];
    for (bad, field) in cases {
        let error = rejected(&app, &ada, json!([bad]), "VALIDATION_ERROR").await;
        let problem = &error["details"]["errors"][0];
        assert_eq!(problem["field"], field, "{error}");
        assert_eq!(problem["entry"], 0);
        assert_eq!(problem["id"], id.to_string());
    }

    let odd = [
        json!({"op": "PUT", "type": "shelves", "id": id, "data": {}}),
        json!({"op": "UPSERT", "type": "books", "id": id, "data": {}}),
        json!({"op": "PUT", "type": "books", "id": "not-a-uuid", "data": {"title": "x"}}),
    ];
    for bad in odd {
        let error = rejected(&app, &ada, json!([bad]), "VALIDATION_ERROR").await;
        assert_eq!(error["details"]["errors"][0]["entry"], 0, "{error}");
    }
    assert!(books(&app, &ada).await.is_empty());
}

async fn create_without_title_is_rejected(db: Db) {
    let app = TestApp::spawn(db).await;
    let ada = reader(&app, "ada@example.com").await;
    let id = Uuid::new_v4();

    let error = rejected(
        &app,
        &ada,
        json!([entry("PATCH", id, json!({"rating": 3}))]),
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(error["details"]["errors"][0]["field"], "title");
    applied(&app, &ada, json!([put(id, json!({"title": "Now"}))])).await;
    assert_eq!(
        applied(
            &app,
            &ada,
            json!([entry("PATCH", id, json!({"rating": 3}))])
        )
        .await,
        1
    );
    assert_eq!(books(&app, &ada).await[0]["rating"], 3);
}

async fn replaying_a_batch_reaches_the_same_state(db: Db) {
    let app = TestApp::spawn(db).await;
    let ada = reader(&app, "ada@example.com").await;
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let batch = json!([
        put(a, json!({"title": "Kept", "rating": 5})),
        put(b, json!({"title": "Gone"})),
        entry("PATCH", a, json!({"author": "Someone"})),
        entry("DELETE", b, Value::Null),
    ]);

    applied(&app, &ada, batch.clone()).await;
    let first = without_updated_at(books(&app, &ada).await);
    applied(&app, &ada, batch).await;
    assert_eq!(without_updated_at(books(&app, &ada).await), first);
    assert_eq!(first.len(), 1);
}

fn without_updated_at(mut rows: Vec<Map<String, Value>>) -> Vec<Map<String, Value>> {
    for row in &mut rows {
        row.remove("updated_at");
    }
    rows
}

async fn two_users_racing_for_one_id_never_share_it(db: Db) {
    let app = TestApp::spawn(db).await;
    let ada = reader(&app, "ada@example.com").await;
    let eve = reader(&app, "eve@example.com").await;
    let ids: Vec<Uuid> = (0..6).map(|_| Uuid::new_v4()).collect();

    let batch = |title: &str| {
        Value::Array(
            ids.iter()
                .map(|id| put(*id, json!({"title": title})))
                .collect(),
        )
    };
    let requests = (0..6).map(|i| {
        let who = if i % 2 == 0 { &ada } else { &eve };
        upload(&app, who, batch(if i % 2 == 0 { "ada" } else { "eve" }))
    });
    for response in futures::future::join_all(requests).await {
        let body = expect_status(response, StatusCode::OK).await;
        assert!(
            body["status"] == "applied" || body["error"]["code"] == "FORBIDDEN",
            "{body}"
        );
    }

    let (mine, theirs) = (books(&app, &ada).await, books(&app, &eve).await);
    assert_eq!(
        mine.len() + theirs.len(),
        ids.len(),
        "every id has exactly one owner"
    );
    assert!(
        mine.is_empty() || theirs.is_empty(),
        "a transaction is all or nothing"
    );
    let owner_title = if mine.is_empty() { "eve" } else { "ada" };
    for row in mine.iter().chain(&theirs) {
        assert_eq!(row["title"], owner_title, "only the owner's writes landed");
    }
}

async fn malformed_uploads_and_limits(db: Db) {
    let app = TestApp::spawn_with(db, |c| {
        c.sync.rate_limit_per_minute = 1;
        c.sync.rate_limit_burst = 3;
        c.sync.max_upload_bytes = 4096;
    })
    .await;
    let ada = reader(&app, "ada@example.com").await;
    let path = "/v1/sync/powersync-upload";

    let no_batch = app
        .post_auth(path, &ada.token, Some(json!({"ops": []})))
        .await;
    expect_error(
        no_batch,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    .await;
    let anonymous = app.post(path, json!({"batch": []})).await;
    expect_error(anonymous, StatusCode::UNAUTHORIZED, "INVALID_TOKEN").await;
    let huge = json!([put(
        Uuid::new_v4(),
        json!({"title": "x", "description": "d".repeat(5000)})
    )]);
    let response = upload(&app, &ada, huge).await;
    expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE").await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sync_rejections").await, 0);

    let limited = loop {
        let response = upload(&app, &ada, json!([])).await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            break response;
        }
        assert_eq!(response.status(), StatusCode::OK);
    };
    assert!(limited.headers().contains_key("retry-after"));
    expect_error(
        limited,
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMIT_EXCEEDED",
    )
    .await;
}

async fn settings_are_public_and_neutral(db: Db) {
    let app = TestApp::spawn(db).await;
    let response = app
        .client
        .get(app.url("/v1/sync/settings"))
        .send()
        .await
        .unwrap();
    let text = response.text().await.unwrap();
    assert!(!text.to_lowercase().contains("powersync"), "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        body,
        json!({"data_sync_url": "http://localhost:8081",
               "file_storage": {"supported": true, "quota_bytes": 1_073_741_824u64}})
    );
}

async fn rejections_are_listed_by_the_cli(db: Db) {
    let app = TestApp::spawn(db).await;
    let ada = reader(&app, "ada@example.com").await;
    let eve = reader(&app, "eve@example.com").await;
    rejected(
        &app,
        &ada,
        json!([put(Uuid::new_v4(), json!({"colour": 1}))]),
        "VALIDATION_ERROR",
    )
    .await;
    rejected(
        &app,
        &eve,
        json!([put(Uuid::new_v4(), json!({"shade": 2}))]),
        "VALIDATION_ERROR",
    )
    .await;

    let list = |extra: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_papyrus"))
            .args([
                "sync",
                "rejections",
                "--json",
                "--database-url",
                &app.db.url,
            ])
            .args(extra)
            .env_clear()
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice::<Value>(&output.stdout).unwrap()
    };
    assert_eq!(list(&[]).as_array().unwrap().len(), 2);
    let only_ada = list(&["--user", "ADA@example.com", "--since", "1h"]);
    let entries = only_ada.as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["email"], "ada@example.com");
    assert!(entries[0]["batch"].as_str().unwrap().contains("colour"));
    assert_eq!(entries[0]["details"]["errors"][0]["field"], "colour");
}
