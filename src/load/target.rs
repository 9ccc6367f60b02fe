//! Where load goes: a base URL on this machine only. An address must be loopback; a name must
//! be the stack's own ([`SERVER_NAME`], which the client resolves to 127.0.0.1 itself) or
//! resolve to loopback addresses only, and the client is pinned to the addresses checked, so
//! a later lookup cannot send the load elsewhere.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

use reqwest::Url;

use crate::prod::SERVER_NAME;

/// How long one request may take before it counts as failed.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a base URL was refused.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// Not a URL.
    #[error("base URL {url:?} is not a URL: {reason}")]
    Url {
        /// What was given.
        url: String,
        /// What the parser said.
        reason: String,
    },
    /// Not http or https, or no host.
    #[error("base URL {0:?} must be http:// or https:// with a host")]
    Scheme(String),
    /// The host is, or resolves to, an address off this machine.
    #[error("refusing to send load to {host}: {reason} (only 127.0.0.0/8, ::1 and {SERVER_NAME} are allowed)")]
    NotLoopback {
        /// The host of the URL.
        host: String,
        /// What it is or resolved to.
        reason: String,
    },
    /// The CA file holds no PEM certificate.
    #[error("the CA file holds no PEM certificate{}", .0.as_ref().map(|e| format!(": {e}")).unwrap_or_default())]
    Ca(#[source] Option<reqwest::Error>),
}

/// A checked base URL, the addresses its host stands for, and the CA to trust for it.
#[derive(Debug, Clone)]
pub struct Target {
    base_url: Url,
    pinned: Option<(String, Vec<SocketAddr>)>,
    ca: Option<Vec<reqwest::Certificate>>,
}

impl Target {
    /// Checks `base_url` (loopback only) and keeps `ca_pem`, the only CA HTTPS will trust
    /// (without it, the system's roots).
    pub fn new(base_url: &str, ca_pem: Option<Vec<u8>>) -> Result<Self, TargetError> {
        let url = Url::parse(base_url)
            .map_err(|error| TargetError::Url { url: base_url.to_owned(), reason: error.to_string() })?;
        let host = match url.host_str() {
            Some(host) if matches!(url.scheme(), "http" | "https") => host.trim_start_matches('[').trim_end_matches(']'),
            _ => return Err(TargetError::Scheme(base_url.to_owned())),
        };
        let pinned = match host.parse::<IpAddr>() {
            Ok(ip) => check_ips(host, &[ip]).map(|()| None)?,
            Err(_) => Some((host.to_owned(), loopback_addresses(host)?)),
        };
        let ca = match ca_pem {
            Some(pem) => match reqwest::Certificate::from_pem_bundle(&pem) {
                Ok(certificates) if !certificates.is_empty() => Some(certificates),
                Ok(_) => return Err(TargetError::Ca(None)),
                Err(error) => return Err(TargetError::Ca(Some(error))),
            },
            None => None,
        };
        Ok(Self { base_url: url, pinned, ca })
    }

    /// The base URL, e.g. `https://stackproof.test:49153/`.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// A client builder for one user: its own cookie jar, no redirects followed (a redirect
    /// is a failure here), the request timeout, pinned addresses and the CA.
    pub fn client_builder(&self) -> reqwest::ClientBuilder {
        let mut builder = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("stackproof-loadtest/", env!("CARGO_PKG_VERSION")));
        if let Some((name, addresses)) = &self.pinned {
            builder = builder.resolve_to_addrs(name, addresses);
        }
        if let Some(ca) = &self.ca {
            builder = builder.tls_certs_only(ca.iter().cloned());
        }
        builder
    }
}

/// The loopback addresses `name` stands for (port 0: the URL's port is used).
fn loopback_addresses(name: &str) -> Result<Vec<SocketAddr>, TargetError> {
    if name.eq_ignore_ascii_case(SERVER_NAME) {
        return Ok(vec![SocketAddr::from((Ipv4Addr::LOCALHOST, 0))]);
    }
    let resolved: Vec<IpAddr> = (name, 0)
        .to_socket_addrs()
        .map_err(|error| TargetError::NotLoopback { host: name.to_owned(), reason: format!("it does not resolve: {error}") })?
        .map(|address| address.ip())
        .collect();
    check_ips(name, &resolved)?;
    Ok(resolved.into_iter().map(|ip| SocketAddr::new(ip, 0)).collect())
}

fn check_ips(host: &str, ips: &[IpAddr]) -> Result<(), TargetError> {
    let outside: Vec<String> = ips.iter().filter(|ip| !ip.is_loopback()).map(IpAddr::to_string).collect();
    match (ips.is_empty(), outside.is_empty()) {
        (true, _) => Err(TargetError::NotLoopback { host: host.to_owned(), reason: "it resolves to nothing".to_owned() }),
        (false, true) => Ok(()),
        (false, false) => {
            Err(TargetError::NotLoopback { host: host.to_owned(), reason: format!("it is {}", outside.join(", ")) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> String {
        Target::new(url, None).expect_err(url).to_string()
    }

    #[test]
    fn loopback_addresses_and_the_stacks_own_name_are_targets() {
        for url in ["http://127.0.0.1:8000/", "https://127.1.2.3/", "http://[::1]:80/", "https://stackproof.test:49153"] {
            assert!(Target::new(url, None).is_ok(), "{url}");
        }
    }

    #[test]
    fn other_hosts_are_refused_naming_them() {
        assert!(refused("https://10.0.0.1/").contains("refusing to send load to 10.0.0.1: it is 10.0.0.1"));
        assert!(refused("http://[2001:db8::1]/").contains("refusing to send load to 2001:db8::1"));
        assert!(refused("ftp://127.0.0.1/").contains("must be http:// or https://"));
        assert!(refused("not a url").contains("is not a URL"));
    }

    #[test]
    fn a_ca_file_without_a_certificate_is_refused() {
        let error = Target::new("https://127.0.0.1/", Some(b"not a certificate".to_vec())).unwrap_err();
        assert_eq!(error.to_string(), "the CA file holds no PEM certificate");
    }
}
