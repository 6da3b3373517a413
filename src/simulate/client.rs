//! The HTTP side of a simulation: signing readers in and uploading their
//! transactions, as the app's connector does.
//!
//! Busy answers (429 and 503) are retried with the same transaction after the
//! server's `Retry-After`, or an exponential backoff when it sends none, a
//! bounded number of times. A rejection is an answer, whether it comes as a 200
//! with `"status": "rejected"` or, under strict rejections, as a 403 or 422.
//! `Retry-After` is read in seconds only; an HTTP date is treated as absent.
//!
//! Access tokens are never refreshed: a run that outlasts the token lifetime
//! gets 401 answers, and each reader that gets one stops with a finding.

use std::time::{Duration, Instant};

use reqwest::header::RETRY_AFTER;
use reqwest::{Response, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value as Json, json};
use url::Url;
use uuid::Uuid;

use super::SimulateError;

/// Attempts at a sign-in request while the server answers 429. The default
/// limit of 5 sign-ins a minute makes a large run wait here.
const SIGN_IN_ATTEMPTS: u32 = 30;
/// Retries of one upload while the server is busy.
const UPLOAD_RETRIES: u32 = 8;
/// No single wait is longer than this, whatever `Retry-After` says.
const LONGEST_WAIT: Duration = Duration::from_secs(60);

/// Who a simulated reader signs in as.
#[derive(Debug)]
pub struct Account {
    pub email: String,
    pub password: SecretString,
    pub display_name: String,
}

/// A signed-in reader.
#[derive(Debug)]
pub struct Session {
    pub user_id: Uuid,
    access_token: SecretString,
}

/// The server's final answer to one upload.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Applied {
        count: u64,
    },
    Rejected {
        code: String,
        message: String,
    },
    /// 429 or 503: nothing was applied, and the same upload may be retried.
    Busy {
        retry_after: Option<Duration>,
    },
    /// Anything else: a bug in the server or in the simulation.
    Unexpected {
        status: u16,
        body: String,
    },
}

/// An upload's answer, how many busy answers preceded it, and how long the
/// request that got it took.
#[derive(Debug)]
pub struct Delivery {
    pub answer: Answer,
    pub retries: u32,
    pub latency: Duration,
}

/// A papyrus server's API.
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    base: Url,
}

impl Api {
    pub fn new(server: &Url) -> Result<Self, SimulateError> {
        let mut base = server.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }

        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        Ok(Api { http, base })
    }

    fn url(&self, path: &str) -> Result<Url, SimulateError> {
        self.base
            .join(path)
            .map_err(|error| SimulateError::Url(error.to_string()))
    }

    /// Registers the account, or logs in when its email is taken.
    pub async fn sign_in(&self, account: &Account) -> Result<Session, SimulateError> {
        let password = account.password.expose_secret();
        let register = json!({
            "email": account.email, "password": password,
            "display_name": account.display_name,
            "client_type": "mobile", "device_label": "papyrus sync simulate",
        });
        let mut response = self.post_auth("v1/auth/register", &register).await?;

        if response.status() == StatusCode::CONFLICT {
            let login = json!({
                "email": account.email, "password": password,
                "client_type": "mobile", "device_label": "papyrus sync simulate",
            });
            response = self.post_auth("v1/auth/login", &login).await?;
        }
        session(&account.email, response).await
    }

    /// A sign-in request, repeated while the server's auth rate limit refuses it.
    async fn post_auth(&self, path: &str, body: &Json) -> Result<Response, SimulateError> {
        let url = self.url(path)?;
        let mut attempt = 0;
        loop {
            let response = self.http.post(url.clone()).json(body).send().await?;
            attempt += 1;
            if response.status() != StatusCode::TOO_MANY_REQUESTS || attempt >= SIGN_IN_ATTEMPTS {
                return Ok(response);
            }

            tokio::time::sleep(backoff(attempt, retry_after(&response))).await;
        }
    }

    /// Uploads one transaction, retrying it while the server is busy.
    pub async fn deliver(&self, session: &Session, body: &Json) -> Result<Delivery, SimulateError> {
        let url = self.url("v1/sync/powersync-upload")?;
        let mut retries = 0;
        loop {
            let started = Instant::now();
            let response = self
                .http
                .post(url.clone())
                .bearer_auth(session.access_token.expose_secret())
                .json(body)
                .send()
                .await?;
            let answer = answer(response).await;
            let latency = started.elapsed();

            match answer {
                Answer::Busy { retry_after } if retries < UPLOAD_RETRIES => {
                    retries += 1;
                    tokio::time::sleep(backoff(retries, retry_after)).await;
                }
                answer => {
                    return Ok(Delivery {
                        answer,
                        retries,
                        latency,
                    });
                }
            }
        }
    }
}

/// The session in a register or login answer.
async fn session(email: &str, response: Response) -> Result<Session, SimulateError> {
    let status = response.status();
    let body: Json = response.json().await.unwrap_or(Json::Null);
    let refused = |reason: String| SimulateError::SignIn {
        email: email.to_owned(),
        reason,
    };
    if !status.is_success() {
        return Err(refused(format!("{status}: {}", error_message(&body))));
    }

    let token = body["access_token"].as_str();
    let user_id = body["user"]["user_id"]
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok());
    match (token, user_id) {
        (Some(token), Some(user_id)) => Ok(Session {
            user_id,
            access_token: SecretString::from(token),
        }),
        _ => Err(refused(
            "the answer has no access token or user id".to_owned(),
        )),
    }
}

async fn answer(response: Response) -> Answer {
    let status = response.status().as_u16();
    let retry_after = retry_after(&response);
    let text = response.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Json::Null);

    match classify(status, &body, retry_after) {
        Answer::Unexpected { status, .. } => Answer::Unexpected {
            status,
            body: text.chars().take(300).collect(),
        },
        answer => answer,
    }
}

/// What an upload's status and body mean.
pub fn classify(status: u16, body: &Json, retry_after: Option<Duration>) -> Answer {
    let code = body["error"]["code"].as_str().unwrap_or_default();
    let rejected = || Answer::Rejected {
        code: code.to_owned(),
        message: error_message(body),
    };

    match (status, body["status"].as_str()) {
        (200, Some("applied")) => Answer::Applied {
            count: body["applied_count"].as_u64().unwrap_or(0),
        },
        (200, Some("rejected")) => rejected(),
        (403, _) if code == "FORBIDDEN" => rejected(),
        (422, _) if code == crate::sync::VALIDATION_ERROR => rejected(),
        (429 | 503, _) => Answer::Busy { retry_after },
        _ => Answer::Unexpected {
            status,
            body: body.to_string(),
        },
    }
}

fn error_message(body: &Json) -> String {
    body["error"]["message"]
        .as_str()
        .unwrap_or("no error message")
        .to_owned()
}

fn retry_after(response: &Response) -> Option<Duration> {
    let seconds = response.headers().get(RETRY_AFTER)?.to_str().ok()?;
    seconds.trim().parse().ok().map(Duration::from_secs)
}

/// How long to wait before attempt `attempt` (from 1): what the server asked,
/// else 100 ms doubled each time; never more than [`LONGEST_WAIT`].
pub fn backoff(attempt: u32, retry_after: Option<Duration>) -> Duration {
    let doubled = Duration::from_millis(100).saturating_mul(1 << attempt.min(16));
    retry_after.unwrap_or(doubled).min(LONGEST_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections_count_whether_lenient_or_strict() {
        let lenient = json!({
            "status": "rejected", "applied_count": 0,
            "error": { "code": "FORBIDDEN", "message": "not yours", "details": {} }
        });
        let strict = json!({ "error": { "code": "VALIDATION_ERROR", "message": "bad" } });

        let answer = classify(200, &lenient, None);
        assert!(matches!(answer, Answer::Rejected { code, .. } if code == "FORBIDDEN"));
        assert!(matches!(
            classify(422, &strict, None),
            Answer::Rejected { .. }
        ));
        assert_eq!(
            classify(200, &json!({"status": "applied", "applied_count": 3}), None),
            Answer::Applied { count: 3 }
        );
    }

    #[test]
    fn busy_and_unknown_answers_are_told_apart() {
        let wait = Some(Duration::from_secs(2));

        assert_eq!(
            classify(429, &Json::Null, wait),
            Answer::Busy { retry_after: wait }
        );
        assert_eq!(
            classify(503, &Json::Null, None),
            Answer::Busy { retry_after: None }
        );
        assert!(matches!(
            classify(401, &Json::Null, None),
            Answer::Unexpected { status: 401, .. }
        ));
        assert!(matches!(
            classify(422, &json!({}), None),
            Answer::Unexpected { .. }
        ));
    }

    #[test]
    fn backoff_honours_the_server_and_is_bounded() {
        assert_eq!(backoff(1, None), Duration::from_millis(200));
        assert_eq!(
            backoff(3, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        assert_eq!(backoff(30, None), LONGEST_WAIT);
        assert_eq!(backoff(1, Some(Duration::from_secs(3600))), LONGEST_WAIT);
    }
}
