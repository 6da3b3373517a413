//! Where papyrus may send a browser back to after a provider sign-in.
//!
//! The app names its callback when it starts a sign-in, and the one-time code travels
//! to it in the query string. An open redirect here would hand that code to whoever
//! wrote the link, so a callback is accepted only when it is
//! - an app scheme from `OAUTH_ALLOWED_REDIRECT_SCHEMES` (`papyrus://auth/callback`), or
//! - http(s) to a host in `OAUTH_ALLOWED_REDIRECT_HOSTS`, the host of `PUBLIC_BASE_URL`
//!   or of `APP_PUBLIC_BASE_URL`, or, in development, a loopback host.
//!
//! Hosts match exactly (no subdomains) on any port. In production a callback to a
//! non-loopback host must use https, since the code in its query would otherwise cross
//! the network in the clear. Callbacks with credentials or a fragment are refused.

use url::{Host, Url};

use crate::config::{Mode, ServerConfig};

/// Longest callback accepted; longer ones are never legitimate and bloat the state row.
const MAX_LEN: usize = 2048;

/// The rules of the module doc, resolved from the settings.
#[derive(Debug, Clone)]
pub struct RedirectPolicy {
    schemes: Vec<String>,
    hosts: Vec<String>,
    development: bool,
}

impl RedirectPolicy {
    pub fn new(schemes: Vec<String>, hosts: Vec<String>, development: bool) -> Self {
        Self {
            schemes,
            hosts,
            development,
        }
    }

    pub fn from_config(config: &ServerConfig) -> Self {
        let base_hosts = [&config.public_base_url, &config.app_public_base_url]
            .into_iter()
            .flatten()
            .filter_map(|url| url.host_str().map(str::to_ascii_lowercase));
        let mut hosts = config.oauth.allowed_redirect_hosts.clone();
        hosts.extend(base_hosts);
        let development = config.mode == Mode::Development;
        Self::new(
            config.oauth.allowed_redirect_schemes.clone(),
            hosts,
            development,
        )
    }

    /// The callback, parsed, or why it is refused (completing "redirect_uri ...").
    pub fn check(&self, raw: &str) -> Result<Url, String> {
        if raw.len() > MAX_LEN {
            return Err(format!("must be at most {MAX_LEN} characters"));
        }
        let url = Url::parse(raw).map_err(|_| "must be an absolute URL".to_owned())?;
        if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
            return Err("must not contain credentials or a fragment".into());
        }

        match url.scheme() {
            "http" | "https" => self.check_web(&url)?,
            scheme if self.schemes.iter().any(|s| s == scheme) => {}
            scheme => return Err(format!("uses the scheme {scheme:?}, which is not allowed")),
        }
        Ok(url)
    }

    fn check_web(&self, url: &Url) -> Result<(), String> {
        let Some(host) = url.host() else {
            return Err("must name a host".into());
        };
        let loopback = is_loopback(&host);
        let name = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let allowed = self.hosts.contains(&name) || (loopback && self.development);
        if !allowed {
            return Err(format!("points at the host {name:?}, which is not allowed"));
        }
        if url.scheme() == "http" && !loopback && !self.development {
            return Err("must use https".into());
        }
        Ok(())
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// The app's callback with `params` added to its own query. Parameters of the same
/// names already there are dropped, so the app never reads a value papyrus did not set.
pub fn with_params(callback: &Url, params: &[(&str, &str)]) -> Url {
    let kept: Vec<(String, String)> = callback
        .query_pairs()
        .filter(|(key, _)| !params.iter().any(|(name, _)| name == key))
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();

    let mut url = callback.clone();
    url.set_query(None);
    if !kept.is_empty() || !params.is_empty() {
        let mut query = url.query_pairs_mut();
        query.extend_pairs(&kept);
        query.extend_pairs(params);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(development: bool) -> RedirectPolicy {
        RedirectPolicy::new(
            vec!["papyrus".into()],
            vec!["app.example.com".into()],
            development,
        )
    }

    #[test]
    fn app_schemes_and_listed_hosts_pass() {
        let dev = policy(true);
        for ok in [
            "papyrus://auth/callback",
            "https://app.example.com/auth/callback",
            "https://APP.example.com:8443/auth/callback?from=web",
            "http://localhost:43821/auth/callback",
            "http://127.0.0.1:43821/auth/callback",
            "http://[::1]:43821/auth/callback",
            "http://app.example.com/auth/callback",
        ] {
            assert!(dev.check(ok).is_ok(), "{ok} refused");
        }
    }

    #[test]
    fn everything_else_is_refused() {
        let dev = policy(true);
        for bad in [
            "https://evil.example.net/cb",
            "https://app.example.com.evil.net/cb",
            "https://sub.app.example.com/cb",
            "https://app.example.com@evil.net/cb",
            "https://user:pw@app.example.com/cb",
            "https://app.example.com/cb#frag",
            "javascript:alert(1)",
            "data:text/html,hi",
            "file:///etc/passwd",
            "otherapp://auth/callback",
            "/relative/callback",
            "",
        ] {
            assert!(dev.check(bad).is_err(), "{bad} accepted");
        }
        assert!(
            dev.check(&format!("papyrus://x/{}", "a".repeat(2048)))
                .is_err()
        );
    }

    #[test]
    fn production_drops_loopback_and_plain_http() {
        let prod = policy(false);
        assert!(prod.check("http://localhost:43821/auth/callback").is_err());
        assert!(prod.check("http://app.example.com/auth/callback").is_err());
        assert!(prod.check("https://app.example.com/auth/callback").is_ok());
        assert!(prod.check("papyrus://auth/callback").is_ok());

        let listed = RedirectPolicy::new(vec![], vec!["localhost".into()], false);
        assert!(listed.check("http://localhost:43821/auth/callback").is_ok());
    }

    #[test]
    fn base_urls_lend_their_hosts() {
        let mut config =
            ServerConfig::development(secrecy::SecretString::from("test-secret-for-policy"));
        config.mode = Mode::Production;
        config.public_base_url = Url::parse("https://api.example.org").ok();
        config.app_public_base_url = Url::parse("https://read.example.org/app/").ok();
        let policy = RedirectPolicy::from_config(&config);
        assert!(
            policy
                .check("https://api.example.org/auth/callback")
                .is_ok()
        );
        assert!(
            policy
                .check("https://read.example.org/auth/callback")
                .is_ok()
        );
        assert!(policy.check("https://localhost/auth/callback").is_err());
    }

    #[test]
    fn params_join_the_callbacks_own_query() {
        let callback = Url::parse("papyrus://auth/callback?from=settings&code=stale").unwrap();
        let url = with_params(&callback, &[("code", "a b&c")]);
        assert_eq!(
            url.as_str(),
            "papyrus://auth/callback?from=settings&code=a+b%26c"
        );
        let bare = Url::parse("http://localhost:43821/auth/callback").unwrap();
        assert_eq!(
            with_params(&bare, &[("error", "access_denied")]).as_str(),
            "http://localhost:43821/auth/callback?error=access_denied"
        );
    }
}
