//! One log event per request, and the request id that ties it to the client.
//!
//! The event carries method, route template, status, latency and request id, never
//! the query string, headers or body, where tokens and passwords travel. The id comes
//! from `X-Request-Id` when the client sent a sane one, is generated otherwise, and is
//! echoed back on the response.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::{Instrument, Level};

const REQUEST_ID: &str = "x-request-id";

pub async fn log_request(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane_id(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "<unmatched>".to_owned(), |p| p.as_str().to_owned());

    let span = tracing::info_span!("request", request_id = %id);
    let mut response = next.run(req).instrument(span).await;

    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let quiet = route == "/health" || route == "/ready";
    macro_rules! event {
        ($level:expr) => {
            tracing::event!(
                target: "papyrus::http",
                $level,
                method = %method,
                route = %route,
                status,
                latency_ms = format_args!("{latency_ms:.1}"),
                request_id = %id,
                "request"
            )
        };
    }
    match (quiet, status) {
        (true, _) => event!(Level::DEBUG),
        (_, 500..) => event!(Level::ERROR),
        _ => event!(Level::INFO),
    }

    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

fn is_sane_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}
