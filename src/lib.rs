//! papyrus: the server side of the Papyrus reading app.
//!
//! Layers, top to bottom: [`cli`] parses commands and prints; [`server`] is the axum
//! application; the domain modules ([`auth`], [`keys`], [`sync`], [`admin`], [`doctor`])
//! hold the rules; [`store`] keeps the data in SQLite or PostgreSQL. [`config`] and
//! [`error`] serve them all.

pub mod admin;
pub mod auth;
pub mod cli;
pub mod config;
pub mod doctor;
pub mod email;
pub mod error;
pub mod keys;
pub mod oauth;
pub mod powersync;
pub mod server;
pub mod simulate;
pub mod store;
pub mod sync;
pub mod uploads;
