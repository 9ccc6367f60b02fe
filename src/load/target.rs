//! Where load goes: a base URL on this machine only. An address must be loopback; a name must
//! be the stack's own ([`SERVER_NAME`], which stands for 127.0.0.1) or resolve to loopback
//! addresses only, and the load's clients are the one client setup of [`Site`], pinned to the
//! address checked, so a later lookup cannot send the load elsewhere.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

use reqwest::Url;

use crate::prod::SERVER_NAME;
use crate::site::{Site, SiteError};

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
    #[error("base URL {0:?} must be https:// with a host")]
    Scheme(String),
    /// The host is, or resolves to, an address off this machine.
    #[error("refusing to send load to {host}: {reason} (only 127.0.0.0/8, ::1 and {SERVER_NAME} are allowed)")]
    NotLoopback {
        /// The host of the URL.
        host: String,
        /// What it is or resolved to.
        reason: String,
    },
    /// The site cannot be described (the CA file holds no certificate, say).
    #[error(transparent)]
    Site(#[from] SiteError),
}

/// A checked base URL and the site it reaches.
#[derive(Debug, Clone)]
pub struct Target {
    base_url: Url,
    site: Site,
}

impl Target {
    /// Checks `base_url` (loopback only, https) and keeps `ca_pem`, the only CA HTTPS will
    /// trust (without it, the system's roots).
    pub async fn new(base_url: &str, ca_pem: Option<Vec<u8>>) -> Result<Self, TargetError> {
        let url = Url::parse(base_url)
            .map_err(|error| TargetError::Url { url: base_url.to_owned(), reason: error.to_string() })?;
        let host = match url.host_str() {
            Some(host) if url.scheme() == "https" => host.trim_start_matches('[').trim_end_matches(']').to_owned(),
            _ => return Err(TargetError::Scheme(base_url.to_owned())),
        };
        let ip = match host.parse::<IpAddr>() {
            Ok(ip) => check_ips(&host, &[ip]).map(|()| ip)?,
            Err(_) => loopback_addresses(&host)?[0].ip(),
        };
        let port = url.port_or_known_default().unwrap_or(443);
        let address = SocketAddr::new(ip, port);
        let site = Site::new(&format!("https://{address}"), Some(&host), None, ca_pem).await?;
        Ok(Self { base_url: url, site })
    }

    /// The site a harness booted (on loopback, by construction).
    pub fn of(site: &Site) -> Result<Self, TargetError> {
        let base = site.url("/");
        check_ips(site.server_name(), &[site.https_addr().ip()])?;
        let base_url =
            Url::parse(&base).map_err(|error| TargetError::Url { url: base.clone(), reason: error.to_string() })?;
        Ok(Self { base_url, site: site.clone() })
    }

    /// The base URL, e.g. `https://stackproof.test:49153/`.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// A client builder for one user: the site's one client setup (its own cookie jar, no
    /// redirects followed, pinned address, the CA) with the load's request timeout.
    pub fn client_builder(&self) -> reqwest::ClientBuilder {
        self.site
            .client_builder()
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("stackproof-loadtest/", env!("CARGO_PKG_VERSION")))
    }
}

/// The loopback addresses `name` stands for (port 0: the URL's port is used).
fn loopback_addresses(name: &str) -> Result<Vec<SocketAddr>, TargetError> {
    if name.eq_ignore_ascii_case(SERVER_NAME) {
        return Ok(vec![SocketAddr::from((Ipv4Addr::LOCALHOST, 0))]);
    }
    let resolved: Vec<IpAddr> = (name, 0)
        .to_socket_addrs()
        .map_err(|error| TargetError::NotLoopback {
            host: name.to_owned(),
            reason: format!("it does not resolve: {error}"),
        })?
        .map(|address| address.ip())
        .collect();
    check_ips(name, &resolved)?;
    Ok(resolved.into_iter().map(|ip| SocketAddr::new(ip, 0)).collect())
}

fn check_ips(host: &str, ips: &[IpAddr]) -> Result<(), TargetError> {
    let outside: Vec<String> = ips.iter().filter(|ip| !ip.is_loopback()).map(IpAddr::to_string).collect();
    match (ips.is_empty(), outside.is_empty()) {
        (true, _) => {
            Err(TargetError::NotLoopback { host: host.to_owned(), reason: "it resolves to nothing".to_owned() })
        }
        (false, true) => Ok(()),
        (false, false) => {
            Err(TargetError::NotLoopback { host: host.to_owned(), reason: format!("it is {}", outside.join(", ")) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn refused(url: &str) -> String {
        Target::new(url, None).await.expect_err(url).to_string()
    }

    #[tokio::test]
    async fn loopback_addresses_and_the_stacks_own_name_are_targets() {
        for url in
            ["https://127.0.0.1:8443/", "https://127.1.2.3/", "https://[::1]:443/", "https://stackproof.test:49153"]
        {
            assert!(Target::new(url, None).await.is_ok(), "{url}");
        }
        let target = Target::new("https://stackproof.test:49153", None).await.unwrap();
        assert_eq!(target.site.https_addr(), SocketAddr::from(([127, 0, 0, 1], 49153)));
    }

    #[tokio::test]
    async fn other_hosts_are_refused_naming_them() {
        assert!(refused("https://10.0.0.1/").await.contains("refusing to send load to 10.0.0.1: it is 10.0.0.1"));
        assert!(refused("https://[2001:db8::1]/").await.contains("refusing to send load to 2001:db8::1"));
        assert!(refused("http://127.0.0.1/").await.contains("must be https://"));
        assert!(refused("not a url").await.contains("is not a URL"));
    }

    #[tokio::test]
    async fn a_ca_file_without_a_certificate_is_refused() {
        let error = Target::new("https://127.0.0.1/", Some(b"not a certificate".to_vec())).await.unwrap_err();
        assert_eq!(error.to_string(), "the CA file holds no PEM certificate");
    }
}
