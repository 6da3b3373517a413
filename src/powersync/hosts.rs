//! Which hosts a PowerSync service can reach, judged from the name alone.
//!
//! The service usually runs in a container, where `localhost` is the container
//! itself. Nothing here resolves names or opens connections: the verdicts are
//! hints for warnings and defaults, not guarantees.

use std::net::IpAddr;

use url::Host;

/// A loopback name or address: inside a container it is the container, not the host.
pub fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => {
            let name = name.to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// A host on the machine or its private network: loopback, private and link-local
/// addresses, `host.docker.internal`, and single-label names such as a Compose
/// service. Connections to such hosts usually carry no TLS certificate to verify.
pub fn is_local(host: &Host<&str>) -> bool {
    if is_loopback(host) {
        return true;
    }

    match host {
        Host::Domain(name) => !name.contains('.') || name.eq_ignore_ascii_case(DOCKER_HOST),
        Host::Ipv4(ip) => is_private(IpAddr::V4(*ip)),
        Host::Ipv6(ip) => is_private(IpAddr::V6(*ip)),
    }
}

/// The name Docker gives the host machine inside containers.
pub const DOCKER_HOST: &str = "host.docker.internal";

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => ip.is_private() || ip.is_link_local(),
        // fc00::/7 (unique local) and fe80::/10 (link-local).
        IpAddr::V6(ip) => {
            let first = ip.segments()[0];
            first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `name` is loopback, and whether it is local.
    fn verdict(name: &str) -> (bool, bool) {
        let url = url::Url::parse(&format!("http://{name}/")).unwrap();
        let host = url.host().unwrap();
        (is_loopback(&host), is_local(&host))
    }

    #[test]
    fn loopback_and_private_hosts_are_told_apart() {
        for name in ["localhost", "127.0.0.1", "[::1]", "app.localhost"] {
            assert_eq!(verdict(name), (true, true), "{name}");
        }
        for name in [
            "db",
            "host.docker.internal",
            "10.1.2.3",
            "192.168.0.9",
            "[fd00::1]",
        ] {
            assert_eq!(verdict(name), (false, true), "{name}");
        }
        for name in ["db.example.com", "8.8.8.8", "[2001:db8::1]"] {
            assert_eq!(verdict(name), (false, false), "{name}");
        }
    }
}
