//! Extractors: who is calling (the bearer's session) and from where (client IP).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use ipnet::IpNet;

use super::AppState;
use crate::auth::Authenticated;
use crate::error::ApiError;

/// The authenticated caller; the session has been checked in the store.
pub struct Caller(pub Authenticated);

impl<S> FromRequestParts<S> for Caller
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let app = AppState::from_ref(state);
        let token = bearer_token(parts)?;
        let caller = app.auth.authenticate(token).await?;
        Ok(Caller(caller))
    }
}

fn bearer_token(parts: &Parts) -> Result<&str, ApiError> {
    let missing = || ApiError::unauthorized("INVALID_TOKEN", "Missing or malformed bearer token");
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(missing)?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(missing)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(missing());
    }
    Ok(token)
}

/// The client's address: the socket peer, or, when the peer is a trusted proxy, the
/// nearest untrusted hop in `X-Forwarded-For`.
pub struct ClientIp(pub IpAddr);

impl<S> FromRequestParts<S> for ClientIp
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let app = AppState::from_ref(state);
        let peer = peer_ip(parts)
            .ok_or_else(|| ApiError::internal("the server was started without connect info"))?;
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        Ok(ClientIp(client_ip(
            peer,
            &forwarded,
            &app.config.trusted_proxies,
        )))
    }
}

/// The socket peer's address, when the server was started with connect info.
pub(super) fn peer_ip(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
}

/// Whether `ip` is one of the proxies whose forwarding headers are believed.
pub(super) fn is_trusted_proxy(ip: &IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|net| net.contains(ip))
}

/// Walks `X-Forwarded-For` from the right while the hops are trusted proxies.
pub fn client_ip(peer: IpAddr, forwarded_for: &str, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| is_trusted_proxy(ip, trusted);
    if !is_trusted(&peer) {
        return peer;
    }

    let mut client = peer;
    for hop in forwarded_for
        .rsplit(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
    {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_counts_only_behind_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let client: IpAddr = "203.0.113.7".parse().unwrap();

        assert_eq!(client_ip(client, "198.51.100.1", &trusted), client);
        assert_eq!(client_ip(proxy, "203.0.113.7", &trusted), client);
        assert_eq!(
            client_ip(proxy, "1.2.3.4, 203.0.113.7, 10.0.0.2", &trusted),
            client
        );
        assert_eq!(client_ip(proxy, "", &trusted), proxy);
        assert_eq!(client_ip(proxy, "garbage", &trusted), proxy);
    }
}
