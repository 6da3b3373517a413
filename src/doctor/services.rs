//! Checks on the services papyrus talks to: the PowerSync service and the SMTP server.
//! Each runs only when its settings say the service is in use.

use std::time::Duration;

use super::{Check, NETWORK_TIMEOUT};
use crate::config::EnvLookup;

const POWERSYNC: &str = "PowerSync service";
const SMTP: &str = "SMTP";
const DEFAULT_SMTP_PORT: u16 = 587;

/// Any HTTP answer shows the service is up; only a 5xx hints it is unwell.
pub async fn powersync_service(env: EnvLookup<'_>) -> Check {
    let Some(raw) = env("POWERSYNC_SERVICE_URL") else {
        return Check::skip(POWERSYNC, "POWERSYNC_SERVICE_URL is not set");
    };
    let fix = "start the PowerSync service or correct POWERSYNC_SERVICE_URL";
    let url = match url::Url::parse(&raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => url,
        _ => return Check::fail(POWERSYNC, format!("{raw} is not an http(s) URL"), fix),
    };

    match get(&url, NETWORK_TIMEOUT).await {
        Ok(status) if status.is_server_error() => Check::warn(
            POWERSYNC,
            format!("{url} answered {status}"),
            "see the service's logs",
        ),
        Ok(status) => Check::pass(POWERSYNC, format!("{url} answered {status}")),
        Err(error) => Check::fail(POWERSYNC, format!("{url}: {error}"), fix),
    }
}

async fn get(url: &url::Url, timeout: Duration) -> Result<reqwest::StatusCode, String> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| e.to_string())?;
    let response = client.get(url.clone()).send().await.map_err(|e| {
        if e.is_timeout() {
            format!("no answer within {}s", timeout.as_secs())
        } else {
            e.to_string()
        }
    })?;
    Ok(response.status())
}

/// A TCP connection is enough to know the SMTP server is there; no mail is sent.
pub async fn smtp(env: EnvLookup<'_>) -> Check {
    if !env("EMAIL_DELIVERY_ENABLED").is_some_and(|v| is_true(&v)) {
        return Check::skip(SMTP, "email delivery is off (EMAIL_DELIVERY_ENABLED)");
    }
    let (host, port) = match smtp_address(env) {
        Ok(address) => address,
        Err((problem, fix)) => return Check::fail(SMTP, problem, fix),
    };

    let address = format!("{host}:{port}");
    let connect = tokio::net::TcpStream::connect(&address);
    match tokio::time::timeout(NETWORK_TIMEOUT, connect).await {
        Ok(Ok(_)) => Check::pass(SMTP, format!("{address} accepts connections")),
        Ok(Err(error)) => Check::fail(
            SMTP,
            format!("{address}: {error}"),
            "check SMTP_HOST and SMTP_PORT",
        ),
        Err(_) => Check::fail(
            SMTP,
            format!(
                "{address} does not answer within {}s",
                NETWORK_TIMEOUT.as_secs()
            ),
            "check SMTP_HOST, SMTP_PORT and the firewall",
        ),
    }
}

fn smtp_address(env: EnvLookup<'_>) -> Result<(String, u16), (String, String)> {
    let host = env("SMTP_HOST").ok_or_else(|| {
        (
            "EMAIL_DELIVERY_ENABLED is on but SMTP_HOST is not set".to_owned(),
            "set SMTP_HOST (and SMTP_PORT), or turn EMAIL_DELIVERY_ENABLED off".to_owned(),
        )
    })?;
    let port = match env("SMTP_PORT") {
        None => DEFAULT_SMTP_PORT,
        Some(raw) => raw.parse().map_err(|_| {
            (
                format!("SMTP_PORT={raw} is not a port"),
                "set SMTP_PORT to a number like 587".to_owned(),
            )
        })?,
    };
    Ok((host, port))
}

fn is_true(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::doctor::Status;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[tokio::test]
    async fn smtp_is_checked_only_when_delivery_is_enabled() {
        assert_eq!(smtp(&env(&[])).await.status, Status::Skip);
        let no_host = smtp(&env(&[("EMAIL_DELIVERY_ENABLED", "true")])).await;
        assert_eq!(no_host.status, Status::Fail);
        assert!(no_host.message.contains("SMTP_HOST"));

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port().to_string();
        let up = env(&[
            ("EMAIL_DELIVERY_ENABLED", "1"),
            ("SMTP_HOST", "127.0.0.1"),
            ("SMTP_PORT", &port),
        ]);
        assert_eq!(smtp(&up).await.status, Status::Pass);
        drop(listener);
        assert_eq!(smtp(&up).await.status, Status::Fail);
    }

    #[tokio::test]
    async fn powersync_service_must_answer_when_set() {
        assert_eq!(powersync_service(&env(&[])).await.status, Status::Skip);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        drop(listener);
        let down = powersync_service(&env(&[("POWERSYNC_SERVICE_URL", &url)])).await;
        assert_eq!(down.status, Status::Fail);
        assert!(down.fix.is_some());
    }
}
