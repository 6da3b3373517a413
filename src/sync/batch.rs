//! Parsing an upload batch: `{"batch": [entry, ...]}`, where each entry is
//! the PowerSync SDK's `CrudEntry.toJson()`.
//!
//! Only `op`, `type`, `id` and `data` are read; `op_id`, `tx_id`, `metadata`,
//! `old` and any other member are accepted and ignored, since the SDK adds
//! members across versions. Inside `data` the rule is the opposite: a field
//! the entity does not declare rejects the batch, so a client writing a
//! column the server would silently drop finds out.

use serde_json::{Map, Value as Json};
use uuid::Uuid;

use super::crud::{CrudEntry, Op};
use super::entity::{Column, Entity};
use super::rejection::{BatchError, Problem, Rejection};
use super::validate::field_value;
use super::value::Value;

/// Validates a whole upload. Entries come back in batch order.
pub fn parse_batch(body: &Json) -> Result<Vec<CrudEntry>, BatchError> {
    let raw_entries = batch_entries(body)?;

    let mut entries = Vec::with_capacity(raw_entries.len());
    let mut problems = Vec::new();
    for (index, raw) in raw_entries.iter().enumerate() {
        match parse_entry(index, raw) {
            Ok(entry) => entries.push(entry),
            Err(mut found) => problems.append(&mut found),
        }
    }

    if !problems.is_empty() {
        return Err(BatchError::Rejected(Rejection::new(&problems)));
    }
    Ok(entries)
}

fn batch_entries(body: &Json) -> Result<&Vec<Json>, BatchError> {
    let object = body
        .as_object()
        .ok_or(BatchError::Malformed("the body must be a JSON object"))?;

    object
        .get("batch")
        .and_then(Json::as_array)
        .ok_or(BatchError::Malformed("the body must have a `batch` array"))
}

/// Who a problem is about: the entry's position, and its id and type as sent.
struct Subject {
    index: usize,
    id: Option<String>,
    type_name: Option<String>,
}

impl Subject {
    /// Who `raw` is about, with its `id` and `type` kept when they are strings.
    fn of(index: usize, raw: &Json) -> Self {
        let text_member = |name| raw.get(name).and_then(Json::as_str).map(str::to_owned);

        Subject {
            index,
            id: text_member("id"),
            type_name: text_member("type"),
        }
    }

    fn problem(&self, field: Option<&str>, reason: impl Into<String>) -> Problem {
        Problem {
            entry: self.index,
            id: self.id.clone(),
            type_name: self.type_name.clone(),
            field: field.map(str::to_owned),
            reason: reason.into(),
        }
    }

    /// The checked member's value, or `None` with the problem recorded.
    fn note<T>(
        &self,
        field: &str,
        checked: Result<T, &str>,
        problems: &mut Vec<Problem>,
    ) -> Option<T> {
        checked
            .map_err(|reason| problems.push(self.problem(Some(field), reason)))
            .ok()
    }
}

fn parse_entry(index: usize, raw: &Json) -> Result<CrudEntry, Vec<Problem>> {
    let subject = Subject::of(index, raw);
    let Some(object) = raw.as_object() else {
        return Err(vec![subject.problem(None, "must be an object")]);
    };

    let mut problems = Vec::new();
    let op = subject.note("op", member_op(object.get("op")), &mut problems);
    let entity = subject.note("type", member_entity(object.get("type")), &mut problems);
    let id = subject.note("id", member_id(object.get("id")), &mut problems);

    let values = match (op, entity) {
        (Some(Op::Delete), _) | (_, None) => Vec::new(),
        (_, Some(entity)) => data_values(&subject, entity, object.get("data"), &mut problems),
    };

    match (op, entity, id) {
        (Some(op), Some(entity), Some(id)) if problems.is_empty() => Ok(CrudEntry {
            index,
            op,
            entity,
            id,
            values,
        }),
        _ => Err(problems),
    }
}

fn member_op(raw: Option<&Json>) -> Result<Op, &'static str> {
    let text = required_text(raw)?;
    Op::parse(text).ok_or("must be PUT, PATCH or DELETE")
}

fn member_entity(raw: Option<&Json>) -> Result<&'static Entity, &'static str> {
    let text = required_text(raw)?;
    super::entity(text).ok_or("is not a type this server syncs")
}

/// Only the canonical form (lowercase, hyphenated) is accepted: the server
/// sends ids back in that form, and SQLite compares text ids byte for byte,
/// so any other spelling would become a second row.
fn member_id(raw: Option<&Json>) -> Result<Uuid, &'static str> {
    let text = required_text(raw)?;
    let refused = "must be a UUID in lowercase hyphenated form";

    let id = Uuid::try_parse(text).map_err(|_| refused)?;
    if id.hyphenated().to_string() != text {
        return Err(refused);
    }
    Ok(id)
}

fn required_text(raw: Option<&Json>) -> Result<&str, &'static str> {
    match raw {
        None | Some(Json::Null) => Err("is required"),
        Some(Json::String(text)) => Ok(text),
        Some(_) => Err("must be a string"),
    }
}

/// The declared fields of `data` as typed values, in declaration order.
/// Problems go to `problems`; the values returned are then irrelevant.
fn data_values(
    subject: &Subject,
    entity: &'static Entity,
    data: Option<&Json>,
    problems: &mut Vec<Problem>,
) -> Vec<(&'static Column, Value)> {
    let fields = match data {
        None | Some(Json::Null) => return Vec::new(),
        Some(Json::Object(fields)) => fields,
        Some(_) => {
            problems.push(subject.problem(Some("data"), "must be an object"));
            return Vec::new();
        }
    };

    for name in fields.keys() {
        if entity.column(name).is_none() && !entity.is_server_controlled(name) {
            problems.push(subject.problem(Some(name), "is not a known field"));
        }
    }

    declared_values(subject, entity, fields, problems)
}

fn declared_values(
    subject: &Subject,
    entity: &'static Entity,
    fields: &Map<String, Json>,
    problems: &mut Vec<Problem>,
) -> Vec<(&'static Column, Value)> {
    let mut values = Vec::new();
    for column in entity.columns {
        let Some(raw) = fields.get(column.name) else {
            continue;
        };

        match field_value(column, raw) {
            Ok(value) => values.push((column, value)),
            Err(reason) => problems.push(subject.problem(Some(column.name), reason)),
        }
    }

    values
}
