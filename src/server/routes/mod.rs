//! Route groups. Each module maps HTTP to one area of the domain.

mod auth;
mod email;
mod health;
mod oauth;
mod powersync;
mod sync;
mod users;

use axum::Router;

use super::AppState;
use crate::config::ServerConfig;

/// Liveness and readiness, outside the API prefix.
pub fn probes() -> Router<AppState> {
    health::routes()
}

/// Everything under `API_PREFIX`.
pub fn api(config: &ServerConfig) -> Router<AppState> {
    Router::new()
        .merge(auth::routes())
        .merge(email::routes())
        .merge(oauth::routes())
        .merge(users::routes())
        .merge(powersync::routes())
        .merge(sync::routes(config))
}
