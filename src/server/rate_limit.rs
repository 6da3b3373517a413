//! Rate limits: per client IP on the unauthenticated auth endpoints, per user on
//! uploads.
//!
//! Each auth endpoint has its own budget of `RATE_LIMIT_AUTH` requests per minute per
//! IP, refilled evenly over the minute (a token bucket). Uploads have a bucket per user
//! of `RATE_LIMIT_BATCH_BURST` uploads refilled at `RATE_LIMIT_BATCH` a minute, so a
//! device catching up on a large import is slowed down, not stopped. Rate limits are
//! per process; two replicas each allow the full rate.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use uuid::Uuid;

use crate::error::ApiError;

type PerUser = RateLimiter<Uuid, DefaultKeyedStateStore<Uuid>, DefaultClock>;

type Keyed = RateLimiter<
    (&'static str, IpAddr),
    DefaultKeyedStateStore<(&'static str, IpAddr)>,
    DefaultClock,
>;

/// The auth endpoints' shared limiter; cheap to clone.
#[derive(Clone)]
pub struct AuthRateLimit {
    limiter: Option<Arc<Keyed>>,
}

impl AuthRateLimit {
    /// `per_minute == 0` turns the limit off.
    pub fn new(per_minute: u32) -> Self {
        let limiter =
            NonZeroU32::new(per_minute).map(|n| Arc::new(RateLimiter::keyed(Quota::per_minute(n))));
        Self { limiter }
    }

    /// Spends one request of `endpoint`'s budget for `ip`, or answers 429.
    pub fn check(&self, endpoint: &'static str, ip: IpAddr) -> Result<(), ApiError> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        limiter.check_key(&(endpoint, ip)).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            tracing::info!(target: crate::auth::SECURITY, endpoint, %ip, "rate limit exceeded");
            ApiError::rate_limited(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
        })
    }

    /// Forgets idle clients so the table does not grow without bound.
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

/// The upload limiter, one token bucket per user; cheap to clone.
#[derive(Clone)]
pub struct UploadRateLimit {
    limiter: Option<Arc<PerUser>>,
}

impl UploadRateLimit {
    /// `per_minute == 0` turns the limit off; a burst of 0 counts as 1.
    pub fn new(per_minute: u32, burst: u32) -> Self {
        let limiter = NonZeroU32::new(per_minute).map(|rate| {
            let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
            Arc::new(RateLimiter::keyed(
                Quota::per_minute(rate).allow_burst(burst),
            ))
        });
        Self { limiter }
    }

    /// Spends one upload of `user`'s bucket, or answers 429 with when to retry.
    pub fn check(&self, user: Uuid) -> Result<(), ApiError> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        limiter.check_key(&user).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::rate_limited(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
        })
    }

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
