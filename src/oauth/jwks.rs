//! The provider's signing keys, fetched from its JWKS URL and cached.
//!
//! A cached set is used for an hour. A token naming a key the cache does not hold
//! triggers one refetch, at most once a minute, so rotated keys are picked up at once
//! while a stream of tokens with made-up key ids cannot turn papyrus into a client
//! hammering the provider. Concurrent misses wait for the one fetch in flight.

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use tokio::sync::Mutex;

use super::provider::ProviderError;

const MAX_AGE: Duration = Duration::from_secs(60 * 60);
const MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(60);
/// A key set is a few kilobytes; anything far larger is not one.
const MAX_BODY_BYTES: usize = 256 * 1024;

pub struct KeyCache {
    http: reqwest::Client,
    url: url::Url,
    cached: Mutex<Cached>,
}

#[derive(Default)]
struct Cached {
    keys: Option<JwkSet>,
    fetched_at: Option<Instant>,
}

impl Cached {
    fn find(&self, kid: Option<&str>) -> Option<Jwk> {
        let keys = self.keys.as_ref()?;
        match kid {
            Some(kid) => keys.find(kid).cloned(),
            None if keys.keys.len() == 1 => keys.keys.first().cloned(),
            None => None,
        }
    }

    fn age(&self) -> Option<Duration> {
        self.fetched_at.map(|at| at.elapsed())
    }
}

impl KeyCache {
    pub fn new(http: reqwest::Client, url: url::Url) -> Self {
        Self {
            http,
            url,
            cached: Mutex::new(Cached::default()),
        }
    }

    /// The key a token's header names (`kid`; a set of one key may go unnamed).
    pub async fn key(&self, kid: Option<&str>) -> Result<Jwk, ProviderError> {
        let mut cached = self.cached.lock().await;
        let fresh = cached.age().is_some_and(|age| age < MAX_AGE);
        if fresh && let Some(key) = cached.find(kid) {
            return Ok(key);
        }
        let may_refetch = cached.age().is_none_or(|age| age >= MIN_REFETCH_INTERVAL);
        if fresh && !may_refetch {
            return Err(ProviderError::UnknownKey);
        }

        let keys = self.fetch().await?;
        *cached = Cached {
            keys: Some(keys),
            fetched_at: Some(Instant::now()),
        };
        cached.find(kid).ok_or(ProviderError::UnknownKey)
    }

    async fn fetch(&self) -> Result<JwkSet, ProviderError> {
        let response = self
            .http
            .get(self.url.clone())
            .send()
            .await
            .map_err(|e| ProviderError::Unreachable(format!("key set: {e}")))?;
        let status = response.status();
        if !status.is_success() {
            return Err(ProviderError::Refused(format!("key set answered {status}")));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| ProviderError::Unreachable(format!("key set: {e}")))?;
        if body.len() > MAX_BODY_BYTES {
            return Err(ProviderError::Refused("key set is too large".into()));
        }
        serde_json::from_slice(&body)
            .map_err(|e| ProviderError::Refused(format!("key set is not a JWKS: {e}")))
    }
}
