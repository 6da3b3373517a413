//! Google sign-in end to end, against a fake OpenID provider started by each test:
//! its own RSA key, token endpoint and JWKS on 127.0.0.1:0.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::KeyPair as _;
use axum::extract::{Form, State};
use axum::http::StatusCode as AxumStatus;
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use papyrus::config::{ProviderConfig, ServerConfig};
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use secrecy::SecretString;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

use crate::both;
use crate::helpers::{Db, TestApp, expect_error, expect_status};

both!(
    oauth_new_user_signs_in_with_a_one_time_code,
    oauth_known_identity_signs_in_its_user,
    oauth_existing_email_is_never_linked_implicitly,
    oauth_disabled_account_is_refused,
    oauth_provider_errors_reach_the_app,
    oauth_forged_replayed_and_expired_states_are_refused,
    oauth_bad_id_tokens_are_refused,
    oauth_redirect_uris_follow_the_policy,
    oauth_exchange_codes_are_single_use_and_expire,
    oauth_app_pkce_binds_the_code_to_the_app,
    oauth_linking_adds_the_identity_to_the_caller,
    oauth_linking_refuses_taken_identities_and_foreign_codes,
);

const CLIENT_ID: &str = "papyrus-test-client";
const ISSUER: &str = "https://issuer.test";
const KID: &str = "fake-key-1";
const APP_CALLBACK: &str = "papyrus://auth/callback";

/// One RSA key for the whole test binary: generating one per test is slow.
struct TestKey {
    pkcs8_pem: String,
    n: String,
    e: String,
}

fn test_key(slot: usize) -> &'static TestKey {
    static KEYS: [OnceLock<TestKey>; 2] = [OnceLock::new(), OnceLock::new()];
    KEYS[slot].get_or_init(|| {
        let pair = KeyPair::generate(KeySize::Rsa2048).expect("generate key");
        let parts = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
        TestKey {
            pkcs8_pem: pem(pair.as_der().expect("pkcs8").as_ref()),
            n: URL_SAFE_NO_PAD.encode(parts.n),
            e: URL_SAFE_NO_PAD.encode(parts.e),
        }
    })
}

/// jsonwebtoken signs RSA from PKCS#1 DER or from PEM; aws-lc hands out PKCS#8 DER.
fn pem(pkcs8_der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(pkcs8_der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).unwrap())
        .collect();
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

/// The fake provider: a JWKS, and a token endpoint answering with the ID token the test
/// put in `next_id_token` and recording every form it receives.
#[derive(Clone, Default)]
struct Fake {
    next_id_token: Arc<Mutex<Option<String>>>,
    forms: Arc<Mutex<Vec<HashMap<String, String>>>>,
    fail: Arc<Mutex<bool>>,
}

struct Provider {
    address: SocketAddr,
    fake: Fake,
}

impl Provider {
    async fn spawn() -> Self {
        let fake = Fake::default();
        let router = axum::Router::new()
            .route("/jwks", get(jwks))
            .route("/token", post(token))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { address, fake }
    }

    fn config(&self) -> ProviderConfig {
        let base = format!("http://{}", self.address);
        let url = |path: &str| Url::parse(&format!("{base}{path}")).unwrap();
        let mut config =
            ProviderConfig::google(CLIENT_ID.into(), SecretString::from("fake-client-secret"));
        config.authorization_url = url("/authorize");
        config.token_url = url("/token");
        config.jwks_url = url("/jwks");
        config.issuer = ISSUER.into();
        config
    }

    fn answer_with(&self, id_token: String) {
        *self.fake.next_id_token.lock().unwrap() = Some(id_token);
    }

    fn last_form(&self) -> HashMap<String, String> {
        self.fake
            .forms
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a token request")
    }
}

async fn jwks() -> axum::Json<Value> {
    let key = test_key(0);
    axum::Json(json!({ "keys": [{
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": KID, "n": key.n, "e": key.e
    }]}))
}

async fn token(
    State(fake): State<Fake>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<axum::Json<Value>, AxumStatus> {
    fake.forms.lock().unwrap().push(form);
    if *fake.fail.lock().unwrap() {
        return Err(AxumStatus::INTERNAL_SERVER_ERROR);
    }
    let id_token = fake.next_id_token.lock().unwrap().take();
    Ok(axum::Json(json!({
        "access_token": "provider-access-token", "token_type": "Bearer",
        "expires_in": 3600, "id_token": id_token
    })))
}

/// An RS256 ID token signed with test key `slot` (0 is the one the JWKS publishes).
fn sign(claims: &Value, slot: usize) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(KID.into());
    let key = EncodingKey::from_rsa_pem(test_key(slot).pkcs8_pem.as_bytes()).expect("key");
    jsonwebtoken::encode(&header, claims, &key).expect("sign")
}

/// What `start` sent the browser to the provider with.
struct Authorization {
    state: String,
    nonce: String,
    code_challenge: String,
    redirect_uri: String,
}

fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

fn location(response: &reqwest::Response) -> Url {
    assert_eq!(response.status(), StatusCode::FOUND, "{response:?}");
    let value = response.headers()["location"].to_str().unwrap();
    Url::parse(value).unwrap()
}

async fn spawn(db: Db, provider: &Provider) -> TestApp {
    spawn_with(db, provider, |_| {}).await
}

async fn spawn_with(
    db: Db,
    provider: &Provider,
    adjust: impl FnOnce(&mut ServerConfig),
) -> TestApp {
    let google = provider.config();
    TestApp::spawn_with(db, move |config| {
        config.oauth.google = Some(google);
        adjust(config);
    })
    .await
}

async fn start(app: &TestApp, query: &str) -> reqwest::Response {
    let url = app.url(&format!("/v1/auth/oauth/google/start?{query}"));
    no_redirects().get(url).send().await.expect("start")
}

async fn authorize(app: &TestApp, query: &str) -> Authorization {
    let url = location(&start(app, query).await);
    Authorization {
        state: param(&url, "state").unwrap(),
        nonce: param(&url, "nonce").unwrap(),
        code_challenge: param(&url, "code_challenge").unwrap(),
        redirect_uri: param(&url, "redirect_uri").unwrap(),
    }
}

fn app_query() -> String {
    format!("redirect_uri={}", urlencode(APP_CALLBACK))
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Claims of a valid ID token for `sub` answering `auth`.
fn claims(auth: &Authorization, sub: &str, email: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": ISSUER, "aud": CLIENT_ID, "sub": sub, "iat": now, "exp": now + 600,
        "nonce": auth.nonce, "email": email, "email_verified": true,
        "name": "Ada Lovelace", "picture": "https://cdn.example.com/ada.png"
    })
}

async fn callback(app: &TestApp, query: &str) -> reqwest::Response {
    let url = app.url(&format!("/v1/auth/oauth/google/callback?{query}"));
    no_redirects().get(url).send().await.expect("callback")
}

/// A whole browser round trip with the ID token `adjust` makes of valid claims;
/// returns where papyrus sent the browser at the end.
async fn round_trip(
    app: &TestApp,
    provider: &Provider,
    query: &str,
    adjust: impl FnOnce(&mut Value),
) -> Url {
    let auth = authorize(app, query).await;
    let mut claims = claims(&auth, "google-sub-1", "ada@example.com");
    adjust(&mut claims);
    provider.answer_with(sign(&claims, 0));
    let state = urlencode(&auth.state);
    location(&callback(app, &format!("code=provider-code&state={state}")).await)
}

async fn exchange(app: &TestApp, body: Value) -> reqwest::Response {
    app.post("/v1/auth/exchange-code", body).await
}

async fn oauth_new_user_signs_in_with_a_one_time_code(db: Db) {
    let provider = Provider::spawn().await;
    let app = spawn(db, &provider).await;

    let auth = authorize(&app, &format!("{}&extra=1", app_query())).await;
    let expected_callback = app.url("/v1/auth/oauth/google/callback");
    assert_eq!(auth.redirect_uri, expected_callback);
    provider.answer_with(sign(&claims(&auth, "google-sub-1", "Ada@Example.com"), 0));
    let state = urlencode(&auth.state);
    let back = location(&callback(&app, &format!("code=provider-code&state={state}")).await);

    assert_eq!(back.scheme(), "papyrus");
    let code = param(&back, "code").expect("a code");
    let form = provider.last_form();
    assert_eq!(form["code"], "provider-code");
    assert_eq!(form["redirect_uri"], expected_callback);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(form["code_verifier"].as_bytes()));
    assert_eq!(
        challenge, auth.code_challenge,
        "PKCE verifier answers the challenge"
    );
    let stored = app
        .db
        .scalar("SELECT state_hash FROM oauth_states")
        .await
        .unwrap();
    assert_ne!(stored, auth.state, "only the digest of state is stored");

    let body = json!({ "code": code, "client_type": "mobile", "device_label": "phone" });
    let tokens = expect_status(exchange(&app, body.clone()).await, StatusCode::OK).await;
    let user = &tokens["user"];
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["email_verified"], true);
    assert_eq!(user["display_name"], "Ada Lovelace");
    assert_eq!(user["avatar_url"], "https://cdn.example.com/ada.png");
    let me = app
        .get_auth("/v1/users/me", tokens["access_token"].as_str().unwrap())
        .await;
    expect_status(me, StatusCode::OK).await;
    let subject = app
        .db
        .scalar("SELECT provider_subject FROM user_identities")
        .await;
    assert_eq!(subject.as_deref(), Some("google-sub-1"));

    expect_error(
        exchange(&app, body).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
    )
    .await;
}

async fn oauth_known_identity_signs_in_its_user(db: Db) {
    let provider = Provider::spawn().await;
    let app = spawn(db, &provider).await;

    let mut users = Vec::new();
    for _ in 0..2 {
        let back = round_trip(&app, &provider, &app_query(), |_| {}).await;
        let body = json!({ "code": param(&back, "code").unwrap() });
        let tokens = expect_status(exchange(&app, body).await, StatusCode::OK).await;
        users.push(tokens["user"]["user_id"].clone());
    }

    assert_eq!(users[0], users[1]);
    let count = app
        .db
        .scalar("SELECT CAST(COUNT(*) AS TEXT) FROM users")
        .await;
    assert_eq!(count.as_deref(), Some("1"));
}

async fn oauth_existing_email_is_never_linked_implicitly(db: Db) {
    let provider = Provider::spawn().await;
    let app = spawn(db, &provider).await;
    app.register("ada@example.com").await;

    let back = round_trip(&app, &provider, &app_query(), |_| {}).await;

    assert_eq!(param(&back, "error").as_deref(), Some("account_exists"));
    assert_eq!(param(&back, "code"), None);
    let identities = app
        .db
        .scalar("SELECT provider_subject FROM user_identities")
        .await;
    assert_eq!(identities, None);
}

async fn oauth_disabled_account_is_refused(db: Db) {
    let provider = Provider::spawn().await;
    let app = spawn(db, &provider).await;
    let first = round_trip(&app, &provider, &app_query(), |_| {}).await;
    assert!(param(&first, "code").is_some());
    app.db
        .exec("UPDATE users SET disabled_at = created_at")
        .await;

    let back = round_trip(&app, &provider, &app_query(), |_| {}).await;

    assert_eq!(param(&back, "error").as_deref(), Some("account_disabled"));
    let body = json!({ "code": param(&first, "code").unwrap() });
    expect_error(
        exchange(&app, body).await,
        StatusCode::FORBIDDEN,
        "ACCOUNT_DISABLED",
    )
    .await;
}

async fn oauth_provider_errors_reach_the_app(db: Db) {
    let provider = Provider::spawn().await;
    let app = spawn(db, &provider).await;

    let auth = authorize(&app, &app_query()).await;
    let state = urlencode(&auth.state);
    let back = location(&callback(&app, &format!("error=access_denied&state={state}")).await);
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));

    *provider.fake.fail.lock().unwrap() = true;
    let back = round_trip(&app, &provider, &app_query(), |_| {}).await;
    assert_eq!(param(&back, "error").as_deref(), Some("provider_error"));

    *provider.fake.fail.lock().unwrap() = false;
    let auth = authorize(&app, &app_query()).await;
    let state = urlencode(&auth.state);
    let back = location(&callback(&app, &format!("state={state}")).await);
    assert_eq!(param(&back, "error").as_deref(), Some("provider_error"));
}

async fn oauth_forged_replayed_and_expired_states_are_refused(db: Db) {
    let provider = Provider::spawn().await;
    let app = spawn(db, &provider).await;

    let forged = callback(&app, "code=provider-code&state=made-up").await;
    expect_error(forged, StatusCode::BAD_REQUEST, "INVALID_STATE").await;
    let missing = callback(&app, "code=provider-code").await;
    expect_error(missing, StatusCode::BAD_REQUEST, "INVALID_STATE").await;

    let auth = authorize(&app, &app_query()).await;
    provider.answer_with(sign(&claims(&auth, "sub-1", "a@example.com"), 0));
    let query = format!("code=provider-code&state={}", urlencode(&auth.state));
    assert!(param(&location(&callback(&app, &query).await), "code").is_some());
    let replayed = callback(&app, &query).await;
    expect_error(replayed, StatusCode::BAD_REQUEST, "INVALID_STATE").await;

    let auth = authorize(&app, &app_query()).await;
    app.db
        .exec("UPDATE oauth_states SET expires_at = created_at WHERE used_at IS NULL")
        .await;
    let query = format!("code=provider-code&state={}", urlencode(&auth.state));
    let back = location(&callback(&app, &query).await);
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_state"));
}

/// One way to spoil the claims of an otherwise valid ID token.
type Spoil = Box<dyn Fn(&mut Value)>;

async fn oauth_bad_id_tokens_are_refused(db: Db) {
    let provider = Provider::spawn().await;
    let app = spawn(db, &provider).await;
    let past = chrono::Utc::now().timestamp() - 3600;
    let cases: Vec<(&str, Spoil)> = vec![
        (
            "wrong nonce",
            Box::new(|c| c["nonce"] = json!("another-nonce")),
        ),
        (
            "wrong audience",
            Box::new(|c| c["aud"] = json!("someone-else")),
        ),
        (
            "wrong issuer",
            Box::new(|c| c["iss"] = json!("https://evil.test")),
        ),
        ("expired", Box::new(move |c| c["exp"] = json!(past))),
        (
            "no nonce",
            Box::new(|c| {
                c.as_object_mut()
                    .unwrap()
                    .remove("nonce")
                    .map(drop)
                    .unwrap()
            }),
        ),
    ];

    for (case, adjust) in cases {
        let back = round_trip(&app, &provider, &app_query(), adjust).await;
        assert_eq!(
            param(&back, "error").as_deref(),
            Some("provider_error"),
            "{case}"
        );
    }

    let auth = authorize(&app, &app_query()).await;
    provider.answer_with(sign(&claims(&auth, "sub-x", "x@example.com"), 1));
    let query = format!("code=c&state={}", urlencode(&auth.state));
    let back = location(&callback(&app, &query).await);
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("provider_error"),
        "foreign key"
    );
    let users = app.db.scalar("SELECT user_id FROM users").await;
    assert_eq!(users, None, "no account from a refused token");
}

async fn oauth_redirect_uris_follow_the_policy(db: Db) {
    let provider = Provider::spawn().await;
    let app = spawn_with(db, &provider, |config| {
        config.app_public_base_url = Url::parse("https://read.example.org").ok();
        config.oauth.allowed_redirect_hosts = vec!["partner.example.net".into()];
    })
    .await;

    for ok in [
        "papyrus://auth/callback",
        "http://localhost:43821/auth/callback",
        "http://127.0.0.1:43821/auth/callback",
        "https://read.example.org/auth/callback",
        "https://partner.example.net/auth/callback",
    ] {
        let response = start(&app, &format!("redirect_uri={}", urlencode(ok))).await;
        assert_eq!(response.status(), StatusCode::FOUND, "{ok}");
    }
    for bad in [
        "https://evil.example.com/auth/callback",
        "https://read.example.org.evil.com/cb",
        "otherapp://auth/callback",
        "javascript:alert(1)",
        "https://read.example.org/cb#fragment",
        "not a url",
    ] {
        let response = start(&app, &format!("redirect_uri={}", urlencode(bad))).await;
        expect_error(response, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
    }
    let missing = start(&app, "").await;
    expect_error(missing, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;

    let unconfigured = TestApp::spawn(db).await;
    let error = expect_error(
        start(&unconfigured, &app_query()).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(error["message"], "Google OAuth is not configured");
}

async fn oauth_exchange_codes_are_single_use_and_expire(db: Db) {
    let provider = Provider::spawn().await;
    let app = spawn(db, &provider).await;
    let back = round_trip(
        &app,
        &provider,
        "redirect_uri=papyrus%3A%2F%2Fcb%3Fx%3D1",
        |_| {},
    )
    .await;
    assert_eq!(
        param(&back, "x").as_deref(),
        Some("1"),
        "the callback's own query stays"
    );
    let code = param(&back, "code").unwrap();
    let stored = app
        .db
        .scalar("SELECT code_hash FROM auth_exchange_codes")
        .await
        .unwrap();
    assert_ne!(stored, code, "only the digest of a code is stored");

    app.db
        .exec("UPDATE auth_exchange_codes SET expires_at = created_at")
        .await;
    let expired = exchange(&app, json!({ "code": code })).await;
    expect_error(expired, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;

    let unknown = exchange(&app, json!({ "code": "no-such-code" })).await;
    expect_error(unknown, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    let invalid = exchange(&app, json!({ "code": 42 })).await;
    expect_error(
        invalid,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    .await;
}

async fn oauth_app_pkce_binds_the_code_to_the_app(db: Db) {
    let provider = Provider::spawn().await;
    let app = spawn(db, &provider).await;
    let verifier = "app-verifier-app-verifier-app-verifier-app-verifier";
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let query = format!(
        "{}&code_challenge={challenge}&code_challenge_method=S256",
        app_query()
    );

    let back = round_trip(&app, &provider, &query, |_| {}).await;
    let code = param(&back, "code").unwrap();
    let without = exchange(&app, json!({ "code": code })).await;
    expect_error(without, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;

    let back = round_trip(&app, &provider, &query, |_| {}).await;
    let code = param(&back, "code").unwrap();
    let wrong = "wrong-verifier-wrong-verifier-wrong-verifier-wrong";
    let body = json!({ "code": code, "code_verifier": wrong });
    expect_error(
        exchange(&app, body).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
    )
    .await;

    let back = round_trip(&app, &provider, &query, |_| {}).await;
    let body = json!({ "code": param(&back, "code").unwrap(), "code_verifier": verifier });
    expect_status(exchange(&app, body).await, StatusCode::OK).await;

    let plain = format!(
        "{}&code_challenge={challenge}&code_challenge_method=plain",
        app_query()
    );
    let refused = start(&app, &plain).await;
    expect_error(refused, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
}

/// Starts a link for the bearer and completes the provider leg; returns the callback.
async fn link_round_trip(app: &TestApp, provider: &Provider, bearer: &str, sub: &str) -> Url {
    let body = json!({ "redirect_uri": APP_CALLBACK });
    let started = app
        .post_auth("/v1/auth/link/google/start", bearer, Some(body))
        .await;
    let started = expect_status(started, StatusCode::OK).await;
    let url = Url::parse(started["authorization_url"].as_str().unwrap()).unwrap();
    let auth = Authorization {
        state: param(&url, "state").unwrap(),
        nonce: param(&url, "nonce").unwrap(),
        code_challenge: param(&url, "code_challenge").unwrap(),
        redirect_uri: param(&url, "redirect_uri").unwrap(),
    };

    provider.answer_with(sign(&claims(&auth, sub, "ada@example.com"), 0));
    let query = format!("code=provider-code&state={}", urlencode(&auth.state));
    location(&callback(app, &query).await)
}

async fn complete(app: &TestApp, bearer: &str, code: &str) -> reqwest::Response {
    let body = json!({ "code": code });
    app.post_auth("/v1/auth/link/google/complete", bearer, Some(body))
        .await
}

async fn oauth_linking_adds_the_identity_to_the_caller(db: Db) {
    let provider = Provider::spawn().await;
    let app = spawn(db, &provider).await;
    let reader = app.register("reader@example.com").await;
    let bearer = reader["access_token"].as_str().unwrap();

    let back = link_round_trip(&app, &provider, bearer, "google-sub-9").await;
    let code = param(&back, "code").expect("a link code");
    let unusable = exchange(&app, json!({ "code": code })).await;
    expect_error(unusable, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;

    let back = link_round_trip(&app, &provider, bearer, "google-sub-9").await;
    let user = expect_status(
        complete(&app, bearer, &param(&back, "code").unwrap()).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        user["email"], "reader@example.com",
        "an email is never replaced"
    );
    assert_eq!(user["avatar_url"], "https://cdn.example.com/ada.png");

    let signed_in = round_trip(&app, &provider, &app_query(), |c| {
        c["sub"] = json!("google-sub-9")
    })
    .await;
    let body = json!({ "code": param(&signed_in, "code").unwrap() });
    let tokens = expect_status(exchange(&app, body).await, StatusCode::OK).await;
    assert_eq!(tokens["user"]["user_id"], reader["user"]["user_id"]);
}

async fn oauth_linking_refuses_taken_identities_and_foreign_codes(db: Db) {
    let provider = Provider::spawn().await;
    let app = spawn(db, &provider).await;
    let first = round_trip(&app, &provider, &app_query(), |c| {
        c["sub"] = json!("taken-sub")
    })
    .await;
    assert!(param(&first, "code").is_some());
    let reader = app.register("reader@example.com").await;
    let bearer = reader["access_token"].as_str().unwrap();
    let other = app.register("other@example.com").await;
    let other_bearer = other["access_token"].as_str().unwrap();

    let back = link_round_trip(&app, &provider, bearer, "taken-sub").await;
    assert_eq!(param(&back, "error").as_deref(), Some("identity_taken"));

    let back = link_round_trip(&app, &provider, bearer, "free-sub").await;
    let code = param(&back, "code").unwrap();
    let foreign = complete(&app, other_bearer, &code).await;
    expect_error(foreign, StatusCode::FORBIDDEN, "FORBIDDEN").await;

    let raced = link_round_trip(&app, &provider, bearer, "race-sub").await;
    let theirs = link_round_trip(&app, &provider, other_bearer, "race-sub").await;
    let mine = complete(&app, bearer, &param(&raced, "code").unwrap()).await;
    expect_status(mine, StatusCode::OK).await;
    let late = complete(&app, other_bearer, &param(&theirs, "code").unwrap()).await;
    expect_error(late, StatusCode::CONFLICT, "CONFLICT").await;

    let anonymous = app.post(
        "/v1/auth/link/google/start",
        json!({ "redirect_uri": APP_CALLBACK }),
    );
    expect_error(anonymous.await, StatusCode::UNAUTHORIZED, "INVALID_TOKEN").await;
}
