//! The axum application.
//!
//! [`launch`] is the one entry point: it takes the settings, a store, a bound listener
//! and a shutdown future, so `papyrus serve` and the tests start the server the same
//! way. Handlers are thin: they read the request, call a domain function and shape
//! the answer; rules live in the domain modules.

mod extract;
mod json;
mod rate_limit;
mod request_log;
mod routes;
mod views;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, header};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::auth::Auth;
use crate::config::{CorsOrigins, ServerConfig};
use crate::email::EmailFlows;
use crate::error::ApiError;
use crate::keys::KeyStore;
use crate::oauth::OAuth;
use crate::store::DynStore;

pub use extract::client_ip;
pub use rate_limit::{AuthRateLimit, UploadRateLimit};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub auth: Auth,
    pub store: DynStore,
    pub config: Arc<ServerConfig>,
    pub auth_limit: AuthRateLimit,
    pub upload_limit: UploadRateLimit,
    /// The PowerSync signing keys; `None` when signing is not configured.
    pub keys: Option<KeyStore>,
    /// Verification and password reset by email.
    pub email: EmailFlows,
    /// Sign-in and linking through Google.
    pub oauth: OAuth,
}

impl AppState {
    pub fn new(
        config: ServerConfig,
        store: DynStore,
        keys: Option<KeyStore>,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let auth = Auth::new(store.clone(), config.auth.clone())?;
        let auth_limit = AuthRateLimit::per_ip(config.rate_limit_auth);
        let sync = &config.sync;
        let upload_limit =
            UploadRateLimit::per_user(sync.rate_limit_per_minute, sync.rate_limit_burst);
        let email = EmailFlows::new(
            store.clone(),
            auth.passwords().clone(),
            config.email.clone(),
            config.app_public_base_url.clone(),
        )?;
        let oauth = OAuth::new(&config, store.clone(), auth.clone())?;
        Ok(Self {
            auth,
            store,
            config: Arc::new(config),
            auth_limit,
            upload_limit,
            keys,
            email,
            oauth,
        })
    }
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish.
pub async fn launch(
    config: ServerConfig,
    store: DynStore,
    keys: Option<KeyStore>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = AppState::new(config, store, keys).map_err(std::io::Error::other)?;
    state.auth_limit.spawn_cleanup();
    state.upload_limit.spawn_cleanup();
    spawn_session_purge(state.auth.clone());
    let app = router(state);

    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Deletes ended sessions once an hour, so the sessions table holds what matters.
fn spawn_session_purge(auth: Auth) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60 * 60));
        loop {
            tick.tick().await;
            if let Err(error) = auth.purge_stale_sessions().await {
                tracing::warn!(%error, "cannot delete ended sessions");
            }
        }
    });
}

/// The whole HTTP surface: probes at the root, the API under the prefix.
pub fn router(state: AppState) -> Router {
    let api = routes::api(&state.config);
    let prefix = state.config.api_prefix.clone();
    let routed = if prefix.is_empty() {
        routes::probes().merge(api)
    } else {
        routes::probes().nest(&prefix, api)
    };

    routed
        .fallback(|| async { ApiError::not_found("No such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                "This method is not allowed on this route",
            )
        })
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(axum::middleware::from_fn(request_log::log_request))
        .layer(cors(&state.config.cors_origins))
        .layer(CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(ApiError::internal("handler panicked"))
        }))
        .with_state(state)
}

fn cors(origins: &CorsOrigins) -> CorsLayer {
    let allow = match origins {
        CorsOrigins::Any => AllowOrigin::any(),
        CorsOrigins::List(list) => AllowOrigin::list(
            list.iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect::<Vec<_>>(),
        ),
    };
    let request_id = HeaderName::from_static("x-request-id");
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PATCH,
            Method::PUT,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            request_id.clone(),
        ])
        .expose_headers([request_id, header::RETRY_AFTER])
        .max_age(Duration::from_secs(600))
}
