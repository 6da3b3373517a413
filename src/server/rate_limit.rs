//! Rate limits: per client IP on the unauthenticated auth endpoints, per user on
//! uploads.
//!
//! Each auth endpoint has its own budget of `RATE_LIMIT_AUTH` requests per minute per
//! IP, refilled evenly over the minute (a token bucket). Uploads have a bucket per user
//! of `RATE_LIMIT_BATCH_BURST` uploads refilled at `RATE_LIMIT_BATCH` a minute, so a
//! device catching up on a large import is slowed down, not stopped. Rate limits are
//! per process; two replicas each allow the full rate.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use uuid::Uuid;

use crate::error::ApiError;

/// A token bucket per key, or no limit at all; cheap to clone.
#[derive(Clone)]
pub struct KeyedLimit<K: Clone + Eq + Hash> {
    limiter: Option<Arc<RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>>>,
}

impl<K: Clone + Eq + Hash + Send + Sync + 'static> KeyedLimit<K> {
    /// `per_minute == 0` turns the limit off; a burst of 0 counts as 1.
    fn new(per_minute: u32, burst: u32) -> Self {
        let limiter = NonZeroU32::new(per_minute).map(|rate| {
            let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
            Arc::new(RateLimiter::keyed(
                Quota::per_minute(rate).allow_burst(burst),
            ))
        });
        Self { limiter }
    }

    /// Spends one request of `key`'s bucket, or answers 429 saying when to retry.
    fn spend(&self, key: &K) -> Result<(), ApiError> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::rate_limited(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
        })
    }

    /// Forgets idle keys every minute so the table does not grow without bound.
    pub fn spawn_cleanup(&self) {
        let Some(limiter) = self.limiter.clone() else {
            return;
        };
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        });
    }
}

/// The auth endpoints' limiter: a budget per endpoint and client IP.
pub type AuthRateLimit = KeyedLimit<(&'static str, IpAddr)>;

impl AuthRateLimit {
    /// `per_minute` requests a minute, all of which may come at once; 0 is no limit.
    pub fn per_ip(per_minute: u32) -> Self {
        Self::new(per_minute, per_minute)
    }

    /// Spends one request of `endpoint`'s budget for `ip`, or answers 429.
    pub fn check(&self, endpoint: &'static str, ip: IpAddr) -> Result<(), ApiError> {
        self.spend(&(endpoint, ip)).inspect_err(|_| {
            tracing::info!(target: crate::auth::SECURITY, endpoint, %ip, "rate limit exceeded");
        })
    }
}

/// The upload limiter: one bucket per user.
pub type UploadRateLimit = KeyedLimit<Uuid>;

impl UploadRateLimit {
    pub fn per_user(per_minute: u32, burst: u32) -> Self {
        Self::new(per_minute, burst)
    }

    /// Spends one upload of `user`'s bucket, or answers 429.
    pub fn check(&self, user: Uuid) -> Result<(), ApiError> {
        self.spend(&user)
    }
}
