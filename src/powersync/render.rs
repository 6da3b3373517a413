//! The PowerSync configuration files, rendered from the templates in
//! `templates/powersync/`. The templates are compiled into the binary, so a
//! deployed papyrus needs no files beside it.
//!
//! Every value a template prints goes through [`yaml`], which writes strings as
//! double-quoted YAML scalars: no setting, whatever characters it holds, can change
//! the structure of the file. Tags such as `!env PS_SOURCE_PASSWORD` are written in
//! the templates themselves, never from values.

use minijinja::syntax::SyntaxConfig;
use minijinja::value::ValueKind;
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, Value, context};
use serde::Serialize;

use super::PowerSyncError;
use super::service::{Connection, ServiceSettings};
use crate::sync;

pub const SERVICE_FILE: &str = "service.yaml";
pub const SYNC_CONFIG_FILE: &str = "sync-config.yaml";

const SERVICE_TEMPLATE: &str = include_str!("../../templates/powersync/service.yaml.j2");
const SYNC_CONFIG_TEMPLATE: &str = include_str!("../../templates/powersync/sync-config.yaml.j2");

/// Both files, and what the operator should know before using them.
#[derive(Debug, Clone, Serialize)]
pub struct RenderedConfig {
    pub service_yaml: String,
    pub sync_config_yaml: String,
    pub warnings: Vec<String>,
}

pub fn render(settings: &ServiceSettings) -> Result<RenderedConfig, PowerSyncError> {
    let env = environment()?;
    let service = context! {
        source => connection(&settings.source),
        storage => connection(&settings.storage),
        port => settings.port,
        jwks_uri => &settings.jwks_uri,
        audience => &settings.audience,
    };

    Ok(RenderedConfig {
        service_yaml: env.get_template(SERVICE_FILE)?.render(service)?,
        sync_config_yaml: render_sync_config(&env)?,
        warnings: settings.warnings.clone(),
    })
}

/// The sync config alone: one stream per synced entity, whatever the settings.
pub fn sync_config() -> Result<String, PowerSyncError> {
    render_sync_config(&environment()?)
}

fn render_sync_config(env: &Environment<'_>) -> Result<String, PowerSyncError> {
    let streams: Vec<Value> = sync::ENTITIES
        .iter()
        .map(|entity| context! { name => entity.name, query => sync::stream_query(entity) })
        .collect();

    Ok(env
        .get_template(SYNC_CONFIG_FILE)?
        .render(context! { streams })?)
}

fn environment() -> Result<Environment<'static>, Error> {
    let mut env = Environment::new();
    env.set_syntax(
        SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()?,
    );
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_formatter(|out, _state, value| Ok(out.write_str(&yaml(value)?)?));

    env.add_template(SERVICE_FILE, SERVICE_TEMPLATE)?;
    env.add_template(SYNC_CONFIG_FILE, SYNC_CONFIG_TEMPLATE)?;
    Ok(env)
}

fn connection(connection: &Connection) -> Value {
    context! {
        hostname => &connection.hostname,
        port => connection.port,
        database => &connection.database,
        username => &connection.username,
        sslmode => connection.sslmode,
    }
}

/// `value` as YAML: strings quoted, numbers and booleans bare, lists in flow style.
fn yaml(value: &Value) -> Result<String, Error> {
    match value.kind() {
        ValueKind::String => Ok(quote(value.as_str().unwrap_or_default())),
        ValueKind::Number | ValueKind::Bool => Ok(value.to_string()),
        ValueKind::None => Ok("null".to_owned()),
        ValueKind::Seq => {
            let items: Result<Vec<String>, Error> = value.try_iter()?.map(|v| yaml(&v)).collect();
            Ok(format!("[{}]", items?.join(", ")))
        }
        kind => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("a {kind} cannot be written into the YAML"),
        )),
    }
}

/// `text` as a double-quoted YAML scalar. Besides `"` and `\`, every character
/// YAML could read as a line break or refuses raw is escaped.
fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                quoted.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_cannot_break_out_of_their_scalar() {
        assert_eq!(quote("plain"), r#""plain""#);
        assert_eq!(quote("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
        assert_eq!(quote("x\u{85}y\u{2028}"), r#""x\u0085y\u2028""#);

        let list = Value::from(vec!["one".to_owned(), "t'wo".to_owned()]);
        assert_eq!(yaml(&list).unwrap(), r#"["one", "t'wo"]"#);
        assert_eq!(yaml(&Value::from(8080)).unwrap(), "8080");
    }

    #[test]
    fn hostile_values_stay_values_after_parsing() {
        let odd = "x\"\n  injected: true\n# \\";
        let parsed: serde_norway::Value =
            serde_norway::from_str(&format!("key: {}\n", quote(odd))).unwrap();
        assert_eq!(parsed["key"].as_str(), Some(odd));
    }
}
