//! Uploads on SQLite: one `BEGIN IMMEDIATE` transaction per upload. SQLite has no
//! row locks; taking the database's write lock first gives the same guarantee, since
//! no other writer can change an owner between the check and the write.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value as Json};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{AssertSqlSafe, Row, Sqlite, SqlitePool, Transaction};
use uuid::Uuid;
use uuid::fmt::Hyphenated;

use super::sqlite::ts;
use super::{ApplyOutcome, NewRejection, RejectionQuery, RejectionRecord, StoreError, StoreResult};
use crate::sync::{CrudEntry, Dialect, Entity, Kind, Op, SqliteValue, Value, sql};

type SqliteQuery<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments>;

pub(super) async fn apply(
    pool: &SqlitePool,
    owner: Uuid,
    entries: &[CrudEntry],
    now: DateTime<Utc>,
) -> StoreResult<ApplyOutcome> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let mut written = 0;
    for entry in entries {
        match apply_entry(&mut tx, owner, entry, now).await? {
            ApplyOutcome::Applied(count) => written += count,
            refused => return Ok(refused),
        }
    }

    tx.commit().await?;
    Ok(ApplyOutcome::Applied(written))
}

async fn apply_entry(
    tx: &mut Transaction<'static, Sqlite>,
    owner: Uuid,
    entry: &CrudEntry,
    now: DateTime<Utc>,
) -> StoreResult<ApplyOutcome> {
    let lock = sql::lock_owner_sql(entry.entity, Dialect::Sqlite);
    let existing: Option<Hyphenated> = sqlx::query_scalar(AssertSqlSafe(lock))
        .bind(entry.id.hyphenated())
        .fetch_optional(&mut **tx)
        .await?;
    let existing = existing.map(Hyphenated::into_uuid);
    if existing.is_some_and(|found| found != owner) {
        return Ok(ApplyOutcome::ForeignRow {
            entry: entry.index,
            id: entry.id,
        });
    }

    let columns = entry.columns();
    let statement = match (entry.op, existing.is_some()) {
        (Op::Delete, false) => return Ok(ApplyOutcome::Applied(0)),
        (Op::Delete, true) => sql::delete_sql(entry.entity, Dialect::Sqlite),
        (_, true) => sql::update_sql(entry.entity, &columns, Dialect::Sqlite),
        (_, false) => match entry.creates_need() {
            Some(column) => {
                return Ok(ApplyOutcome::MissingForInsert {
                    entry: entry.index,
                    column,
                });
            }
            None => sql::insert_sql(entry.entity, &columns, Dialect::Sqlite),
        },
    };

    let query = sqlx::query(AssertSqlSafe(statement))
        .bind(entry.id.hyphenated())
        .bind(owner.hyphenated());
    let query = if entry.op == Op::Delete {
        query
    } else {
        entry
            .values
            .iter()
            .fold(query, |q, (_, value)| bind(q, value))
            .bind(ts(now))
    };
    let done = query.execute(&mut **tx).await?;
    Ok(ApplyOutcome::Applied(done.rows_affected()))
}

fn bind<'q>(query: SqliteQuery<'q>, value: &Value) -> SqliteQuery<'q> {
    match value.to_sqlite() {
        SqliteValue::Null => query.bind(None::<String>),
        SqliteValue::Integer(number) => query.bind(number),
        SqliteValue::Real(number) => query.bind(number),
        SqliteValue::Text(text) => query.bind(text),
    }
}

/// The owner's rows as JSON objects, the id under `id`, with booleans and JSON
/// columns turned back from their SQLite storage forms.
pub(super) async fn rows(
    pool: &SqlitePool,
    entity: &'static Entity,
    owner: Uuid,
) -> StoreResult<Vec<Map<String, Json>>> {
    let mut pairs = vec![
        format!("'id', {}", entity.id_column),
        format!("'{0}', {0}", entity.owner_column),
        format!("'{0}', {0}", entity.updated_column),
    ];
    pairs.extend(entity.columns.iter().map(|column| {
        let name = column.name;
        match column.kind {
            Kind::JsonList | Kind::JsonObject => format!("'{name}', json({name})"),
            Kind::Real => format!("'{name}', printf('%!.17g', {name})"),
            Kind::Bool => format!(
                "'{name}', CASE WHEN {name} IS NULL THEN NULL \
                 WHEN {name} THEN json('true') ELSE json('false') END"
            ),
            _ => format!("'{name}', {name}"),
        }
    }));
    let statement = format!(
        "SELECT json_object({}) FROM {} WHERE {} = ?1 ORDER BY {}",
        pairs.join(", "),
        entity.table,
        entity.owner_column,
        entity.id_column
    );

    let found: Vec<String> = sqlx::query_scalar(AssertSqlSafe(statement))
        .bind(owner.hyphenated())
        .fetch_all(pool)
        .await?;
    found
        .iter()
        .map(|text| match serde_json::from_str(text) {
            Ok(Json::Object(map)) => Ok(reals_as_numbers(entity, map)),
            _ => Err(StoreError::Other(format!(
                "unreadable row in {}",
                entity.table
            ))),
        })
        .collect()
}

/// SQLite's JSON functions print reals with 15 significant digits, which loses
/// precision, so reals are selected as 17-digit text and turned back into numbers here.
fn reals_as_numbers(entity: &Entity, mut row: Map<String, Json>) -> Map<String, Json> {
    for column in entity.columns.iter().filter(|c| c.kind == Kind::Real) {
        let number = row
            .get(column.name)
            .and_then(Json::as_str)
            .and_then(|text| text.parse::<f64>().ok())
            .and_then(serde_json::Number::from_f64);
        if let Some(number) = number {
            row.insert(column.name.to_owned(), Json::Number(number));
        }
    }
    row
}

pub(super) async fn insert_rejection(pool: &SqlitePool, entry: &NewRejection) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sync_rejections (rejection_id, user_id, created_at, code, message, \
         details, cross_user, batch, batch_bytes, batch_truncated) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .bind(entry.rejection_id.hyphenated())
    .bind(entry.user_id.hyphenated())
    .bind(ts(entry.created_at))
    .bind(&entry.code)
    .bind(&entry.message)
    .bind(entry.details.to_string())
    .bind(entry.cross_user)
    .bind(&entry.batch)
    .bind(entry.batch_bytes)
    .bind(entry.batch_truncated)
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn rejections(
    pool: &SqlitePool,
    query: &RejectionQuery,
) -> StoreResult<Vec<RejectionRecord>> {
    let rows = sqlx::query(
        "SELECT r.rejection_id, r.user_id, u.primary_email, r.created_at, r.code, r.message, \
         r.details, r.cross_user, r.batch, r.batch_bytes, r.batch_truncated \
         FROM sync_rejections r JOIN users u ON u.user_id = r.user_id \
         WHERE (?1 IS NULL OR r.user_id = ?1) AND (?2 IS NULL OR r.created_at >= ?2) \
         ORDER BY r.created_at DESC LIMIT ?3",
    )
    .bind(query.user_id.map(|id| id.hyphenated()))
    .bind(query.since.map(ts))
    .bind(query.limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(rejection_from_row).collect()
}

fn rejection_from_row(row: &SqliteRow) -> StoreResult<RejectionRecord> {
    let details: String = row.try_get("details")?;
    Ok(RejectionRecord {
        rejection_id: row.try_get::<Hyphenated, _>("rejection_id")?.into_uuid(),
        user_id: row.try_get::<Hyphenated, _>("user_id")?.into_uuid(),
        email: row.try_get("primary_email")?,
        created_at: row.try_get("created_at")?,
        code: row.try_get("code")?,
        message: row.try_get("message")?,
        details: serde_json::from_str(&details).unwrap_or(Json::String(details)),
        cross_user: row.try_get("cross_user")?,
        batch: row.try_get("batch")?,
        batch_bytes: row.try_get("batch_bytes")?,
        batch_truncated: row.try_get("batch_truncated")?,
    })
}
