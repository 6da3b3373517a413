//! Uploads on PostgreSQL: one transaction per upload, each target row locked
//! (`SELECT ... FOR UPDATE`) before its owner is trusted, so two concurrent uploads
//! cannot race a row away from its owner.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value as Json};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{AssertSqlSafe, PgPool, Postgres, Row, Transaction};
use uuid::Uuid;

use super::{ApplyOutcome, NewRejection, RejectionQuery, RejectionRecord, StoreResult};
use crate::sync::{CrudEntry, Dialect, Entity, Op, Value, sql};

type PgQuery<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

pub(super) async fn apply(
    pool: &PgPool,
    owner: Uuid,
    entries: &[CrudEntry],
    now: DateTime<Utc>,
) -> StoreResult<ApplyOutcome> {
    let mut tx = pool.begin().await?;
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
    tx: &mut Transaction<'static, Postgres>,
    owner: Uuid,
    entry: &CrudEntry,
    now: DateTime<Utc>,
) -> StoreResult<ApplyOutcome> {
    let lock = sql::lock_owner_sql(entry.entity, Dialect::Postgres);
    let existing: Option<Uuid> = sqlx::query_scalar(AssertSqlSafe(lock))
        .bind(entry.id)
        .fetch_optional(&mut **tx)
        .await?;
    if existing.is_some_and(|found| found != owner) {
        return Ok(ApplyOutcome::ForeignRow {
            entry: entry.index,
            id: entry.id,
        });
    }

    let columns = entry.columns();
    let statement = match (entry.op, existing.is_some()) {
        (Op::Delete, false) => return Ok(ApplyOutcome::Applied(0)),
        (Op::Delete, true) => sql::delete_sql(entry.entity, Dialect::Postgres),
        (_, true) => sql::update_sql(entry.entity, &columns, Dialect::Postgres),
        (_, false) => match entry.creates_need() {
            Some(column) => {
                return Ok(ApplyOutcome::MissingForInsert {
                    entry: entry.index,
                    column,
                });
            }
            None => sql::insert_sql(entry.entity, &columns, Dialect::Postgres),
        },
    };

    let mut query = sqlx::query(AssertSqlSafe(statement))
        .bind(entry.id)
        .bind(owner);
    if entry.op != Op::Delete {
        query = entry
            .values
            .iter()
            .fold(query, |q, (_, value)| bind(q, value))
            .bind(now);
    }
    let done = query.execute(&mut **tx).await?;
    Ok(ApplyOutcome::Applied(done.rows_affected()))
}

/// Binds a validated value; the generated SQL casts each parameter to its column.
fn bind<'q>(query: PgQuery<'q>, value: &Value) -> PgQuery<'q> {
    match value {
        Value::Null => query.bind(None::<String>),
        Value::Text(text) => query.bind(text.clone()),
        Value::Integer(number) => query.bind(*number),
        Value::Real(number) => query.bind(*number),
        Value::Bool(flag) => query.bind(*flag),
        Value::Json(json) => query.bind(json.to_string()),
        Value::Timestamp(at) => query.bind(*at),
    }
}

/// The owner's rows as JSON objects, the id under `id`.
pub(super) async fn rows(
    pool: &PgPool,
    entity: &'static Entity,
    owner: Uuid,
) -> StoreResult<Vec<Map<String, Json>>> {
    let statement = format!(
        "SELECT to_jsonb(t) FROM {table} t WHERE {owner_column} = $1 ORDER BY {id}",
        table = entity.table,
        owner_column = entity.owner_column,
        id = entity.id_column,
    );
    let found: Vec<Json> = sqlx::query_scalar(AssertSqlSafe(statement))
        .bind(owner)
        .fetch_all(pool)
        .await?;

    Ok(found
        .into_iter()
        .filter_map(|row| match row {
            Json::Object(mut map) => {
                if let Some(id) = map.remove(entity.id_column) {
                    map.insert("id".into(), id);
                }
                Some(map)
            }
            _ => None,
        })
        .collect())
}

pub(super) async fn insert_rejection(pool: &PgPool, entry: &NewRejection) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sync_rejections (rejection_id, user_id, created_at, code, message, \
         details, cross_user, batch, batch_bytes, batch_truncated) \
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10)",
    )
    .bind(entry.rejection_id)
    .bind(entry.user_id)
    .bind(entry.created_at)
    .bind(&entry.code)
    .bind(&entry.message)
    .bind(entry.details.to_string())
    .bind(entry.cross_user)
    .bind(&entry.batch)
    .bind(entry.batch_bytes as i32)
    .bind(entry.batch_truncated)
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn rejections(
    pool: &PgPool,
    query: &RejectionQuery,
) -> StoreResult<Vec<RejectionRecord>> {
    let rows = sqlx::query(
        "SELECT r.rejection_id, r.user_id, u.primary_email, r.created_at, r.code, r.message, \
         r.details, r.cross_user, r.batch, r.batch_bytes, r.batch_truncated \
         FROM sync_rejections r JOIN users u ON u.user_id = r.user_id \
         WHERE ($1::uuid IS NULL OR r.user_id = $1) \
         AND ($2::timestamptz IS NULL OR r.created_at >= $2) \
         ORDER BY r.created_at DESC LIMIT $3",
    )
    .bind(query.user_id)
    .bind(query.since)
    .bind(query.limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(rejection_from_row).collect()
}

fn rejection_from_row(row: &PgRow) -> StoreResult<RejectionRecord> {
    Ok(RejectionRecord {
        rejection_id: row.try_get("rejection_id")?,
        user_id: row.try_get("user_id")?,
        email: row.try_get("primary_email")?,
        created_at: row.try_get("created_at")?,
        code: row.try_get("code")?,
        message: row.try_get("message")?,
        details: row.try_get("details")?,
        cross_user: row.try_get("cross_user")?,
        batch: row.try_get("batch")?,
        batch_bytes: i64::from(row.try_get::<i32, _>("batch_bytes")?),
        batch_truncated: row.try_get("batch_truncated")?,
    })
}
