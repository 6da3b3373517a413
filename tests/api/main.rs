//! HTTP tests: the real server on an ephemeral port, against SQLite and PostgreSQL.

mod helpers;

mod admin;
mod auth;
mod cli;
mod email;
mod errors;
mod oauth;
mod powersync;
mod powersync_config;
mod refresh;
mod schema;
mod sessions;
mod simulate;
mod uploads;
mod users;
