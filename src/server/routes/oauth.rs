//! `/auth/oauth/google/*`, `/auth/exchange-code` and `/auth/link/google/*`: sign-in and
//! linking through Google. The flow and its rules live in [`crate::oauth`].

use axum::extract::{FromRef, FromRequestParts, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use url::Url;

use super::auth::client_info;
use crate::error::ApiError;
use crate::oauth::{CallbackParams, StartRequest, pkce};
use crate::server::extract::{Caller, ClientIp, is_trusted_proxy, peer_ip};
use crate::server::json::{Fields, JsonObject};
use crate::server::{AppState, views};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/oauth/google/start", get(start))
        .route("/auth/oauth/google/callback", get(callback))
        .route("/auth/exchange-code", post(exchange_code))
        .route("/auth/link/google/start", post(link_start))
        .route("/auth/link/google/complete", post(link_complete))
}

async fn start(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    RequestBase(base): RequestBase,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    app.auth_limit.check("oauth_start", ip)?;
    let query = QueryParams::parse(query.as_deref());
    let callback = app.oauth.callback_uri(|| base)?;
    let redirect_uri = query
        .get("redirect_uri")
        .ok_or_else(|| invalid("redirect_uri", "is required"))?;
    let code_challenge = pkce::app_challenge(
        query.get("code_challenge"),
        query.get("code_challenge_method"),
    )
    .map_err(|reason| invalid("code_challenge", &reason))?;

    let request = StartRequest {
        redirect_uri,
        linking_user: None,
        code_challenge,
    };
    let url = app.oauth.start(request, &callback).await?;
    found(&url)
}

async fn callback(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    RequestBase(base): RequestBase,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    app.auth_limit.check("oauth_callback", ip)?;
    let query = QueryParams::parse(query.as_deref());
    let callback = app.oauth.callback_uri(|| base)?;
    let params = CallbackParams {
        code: query.get("code").map(String::from),
        state: query.get("state").map(String::from),
        error: query.get("error").map(String::from),
    };

    let url = app.oauth.callback(params, &callback).await?;
    found(&url)
}

async fn exchange_code(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    app.auth_limit.check("exchange_code", ip)?;
    let mut fields = Fields::new(&body);
    let code = fields.required("code", one_time_code);
    let verifier = fields.optional("code_verifier", pkce::app_verifier);
    let client = client_info(&mut fields);
    fields.finish()?;

    let code = code.unwrap_or_default();
    let issued = app
        .oauth
        .exchange(&code, verifier.as_deref(), client)
        .await?;
    Ok(Json(views::tokens(&issued)))
}

async fn link_start(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    RequestBase(base): RequestBase,
    Caller(caller): Caller,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    app.auth_limit.check("link_start", ip)?;
    let mut fields = Fields::new(&body);
    let redirect_uri = fields.required("redirect_uri", |raw| Ok(raw.to_owned()));
    fields.finish()?;

    let callback = app.oauth.callback_uri(|| base)?;
    let request = StartRequest {
        redirect_uri: &redirect_uri.unwrap_or_default(),
        linking_user: Some(caller.user.user_id),
        code_challenge: None,
    };
    let url = app.oauth.start(request, &callback).await?;
    Ok(Json(json!({ "authorization_url": url.as_str() })))
}

async fn link_complete(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    Caller(caller): Caller,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    app.auth_limit.check("link_complete", ip)?;
    let mut fields = Fields::new(&body);
    let code = fields.required("code", one_time_code);
    fields.finish()?;

    let user = app
        .oauth
        .complete_link(&caller, &code.unwrap_or_default())
        .await?;
    Ok(Json(views::user(&user)))
}

/// A code as papyrus mints them is 43 characters; anything far longer is not one.
fn one_time_code(raw: &str) -> Result<String, String> {
    if raw.is_empty() || raw.len() > 512 {
        return Err("must be a code from the sign-in callback".into());
    }
    Ok(raw.to_owned())
}

fn invalid(field: &'static str, reason: &str) -> ApiError {
    crate::oauth::OAuthError::Invalid(field, reason.to_owned()).into()
}

/// A 302 that neither caches nor leaks the code in its URL through a Referer.
fn found(url: &Url) -> Result<Response, ApiError> {
    let location = HeaderValue::from_str(url.as_str()).map_err(ApiError::internal)?;
    let headers = [
        (header::LOCATION, location),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
    ];
    Ok((StatusCode::FOUND, headers).into_response())
}

/// Query parameters read without an extractor rejection, so a bad query still gets
/// the error envelope. The first of repeated names wins.
struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    fn parse(query: Option<&str>) -> Self {
        let pairs = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes());
        Self(pairs.into_owned().collect())
    }

    fn get(&self, name: &str) -> Option<&str> {
        let value = self.0.iter().find(|(key, _)| key == name)?;
        Some(value.1.as_str())
    }
}

/// This server's API URL as the request names it: `http://<Host><API_PREFIX>`, or
/// https when a trusted proxy says the client used it. Used only when neither
/// `GOOGLE_OAUTH_REDIRECT_URI` nor `PUBLIC_BASE_URL` is set, which production refuses.
struct RequestBase(Option<String>);

impl<S> FromRequestParts<S> for RequestBase
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let app = AppState::from_ref(state);
        let trusted =
            peer_ip(parts).is_some_and(|ip| is_trusted_proxy(&ip, &app.config.trusted_proxies));
        let header = |name| {
            parts
                .headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
        };
        let https = trusted && header("x-forwarded-proto").is_some_and(|p| p.trim() == "https");

        let scheme = if https { "https" } else { "http" };
        let base = header("host").and_then(|host| origin(scheme, host));
        Ok(RequestBase(
            base.map(|o| format!("{o}{}", app.config.api_prefix)),
        ))
    }
}

/// `scheme://host[:port]` when `host` is a bare authority, nothing else.
fn origin(scheme: &str, host: &str) -> Option<String> {
    let url = Url::parse(&format!("{scheme}://{host}")).ok()?;
    let bare = url.path() == "/" && url.query().is_none() && url.username().is_empty();
    let bare = bare && url.password().is_none() && url.fragment().is_none();
    bare.then(|| url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_bare_hosts_make_an_origin() {
        assert_eq!(
            super::origin("http", "localhost:8080").as_deref(),
            Some("http://localhost:8080")
        );
        for bad in [
            "evil.com/path",
            "user@evil.com",
            "a b",
            "",
            "evil.com?x",
            "h#f",
        ] {
            assert_eq!(super::origin("http", bad), None, "{bad}");
        }
    }
}
