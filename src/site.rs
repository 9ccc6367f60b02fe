//! A deployed site as its clients reach it: the address its HTTPS and plain-HTTP ports answer
//! on, the name it serves, and the CA its certificate must chain to. Here is the one HTTP client
//! setup every check, drill and load run uses, and the flows they share (CSRF token, register,
//! log in). [`crate::prod::BootedSite`] makes one for a stack the harness booted; `stackproof
//! verify` makes one for a real deployment.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::{Client, ClientBuilder, Url};
use serde_json::{Value, json};

/// How long one request may take before it counts as failed.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// The password of every account the harness registers.
pub const PASSWORD: &str = "a long enough password";

/// Why a site cannot be reached as described, or answered what it should not.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// Not a URL of the expected scheme.
    #[error("{what} {url:?} is not an {scheme}:// URL with a host")]
    Url {
        /// Which URL (base URL, HTTP URL).
        what: &'static str,
        /// What was given.
        url: String,
        /// The scheme it must have.
        scheme: &'static str,
    },
    /// The host does not resolve.
    #[error("{host} does not resolve: {reason}")]
    Resolve {
        /// The host.
        host: String,
        /// What the resolver said.
        reason: String,
    },
    /// The CA file holds no PEM certificate.
    #[error("the CA file holds no PEM certificate{}", .0.as_ref().map(|e| format!(": {e}")).unwrap_or_default())]
    Ca(#[source] Option<reqwest::Error>),
    /// A request could not be made or answered (connection refused, TLS, timeout).
    #[error("{method} {url}: {source}")]
    Request {
        /// `GET`, `POST`.
        method: &'static str,
        /// The URL asked.
        url: String,
        /// What failed.
        #[source]
        source: reqwest::Error,
    },
    /// The site answered, but not what the flow needs.
    #[error("{method} {url} answered {status}: {body}")]
    Unexpected {
        /// `GET`, `POST`.
        method: &'static str,
        /// The URL asked.
        url: String,
        /// Its status.
        status: u16,
        /// The start of its body.
        body: String,
    },
}

/// Where a site answers and what it must prove about itself.
#[derive(Debug, Clone)]
pub struct Site {
    server_name: String,
    https: SocketAddr,
    http: SocketAddr,
    ca_pem: Option<Vec<u8>>,
}

/// An account registered through the API, and the client holding its session.
#[derive(Debug, Clone)]
pub struct Account {
    /// Its client, cookies and all.
    pub client: Client,
    /// The user id the API gave it.
    pub id: i64,
    /// Its name.
    pub username: String,
    /// The CSRF token of its session.
    pub csrf: String,
    /// The `Set-Cookie` headers of the registration's answer.
    pub set_cookies: Vec<String>,
}

impl Site {
    /// The site at `base_url` (`https://host[:port]`), answering for `server_name` (default: the
    /// URL's host), with plain HTTP at `http_url` (default: the same host on port 80), whose
    /// certificate chains to `ca_pem` (default: the system's roots).
    pub async fn new(
        base_url: &str,
        server_name: Option<&str>,
        http_url: Option<&str>,
        ca_pem: Option<Vec<u8>>,
    ) -> Result<Self, SiteError> {
        let (host, https) = endpoint("base URL", base_url, "https").await?;
        let http = match http_url {
            Some(url) => endpoint("HTTP URL", url, "http").await?.1,
            None => SocketAddr::new(https.ip(), 80),
        };
        if let Some(pem) = &ca_pem {
            match reqwest::Certificate::from_pem_bundle(pem) {
                Ok(certificates) if !certificates.is_empty() => {}
                Ok(_) => return Err(SiteError::Ca(None)),
                Err(error) => return Err(SiteError::Ca(Some(error))),
            }
        }
        Ok(Self { server_name: server_name.unwrap_or(&host).to_owned(), https, http, ca_pem })
    }

    /// The name the site serves (SNI, Host, the certificate's name).
    pub fn server_name(&self) -> &str {
        &self.server_name
    }

    /// Where its HTTPS port answers.
    pub fn https_addr(&self) -> SocketAddr {
        self.https
    }

    /// Where its plain-HTTP port answers.
    pub fn http_addr(&self) -> SocketAddr {
        self.http
    }

    /// The CA its certificate must chain to, when not the system's roots.
    pub fn ca_pem(&self) -> Option<&[u8]> {
        self.ca_pem.as_deref()
    }

    /// `https://<name>[:port]<path>`.
    pub fn url(&self, path: &str) -> String {
        origin("https", &self.server_name, self.https.port(), 443) + path
    }

    /// `http://<name>[:port]<path>`.
    pub fn http_url(&self, path: &str) -> String {
        origin("http", &self.server_name, self.http.port(), 80) + path
    }

    /// The one client setup: the site's name resolved to its address, only its CA trusted (when
    /// given), a cookie jar, no redirect followed (a check judges them), no transparent
    /// decompression (a check judges Content-Encoding), a bounded timeout.
    pub fn client_builder(&self) -> ClientBuilder {
        self.client_builder_for(&self.server_name, true)
    }

    /// Like [`Site::client_builder`], asking for `name` instead, trusting the CA or not.
    pub fn client_builder_for(&self, name: &str, trust_ca: bool) -> ClientBuilder {
        let mut builder = Client::builder()
            .no_gzip()
            .resolve(name, self.https)
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("stackproof/", env!("CARGO_PKG_VERSION")));
        if let (Some(pem), true) = (&self.ca_pem, trust_ca) {
            let certificates = reqwest::Certificate::from_pem_bundle(pem).unwrap_or_default();
            builder = builder.tls_certs_only(certificates);
        }
        builder
    }

    /// A client of the one setup.
    pub fn client(&self) -> Client {
        // The builder's inputs were checked in `new`; building can fail only without a TLS backend.
        self.client_builder().build().unwrap_or_default()
    }

    /// GETs `path` and returns its JSON body, which must come with a 200.
    pub async fn get_json(&self, client: &Client, path: &str) -> Result<Value, SiteError> {
        let url = self.url(path);
        let response = client.get(&url).send().await.map_err(|source| SiteError::Request {
            method: "GET",
            url: url.clone(),
            source,
        })?;
        json_of("GET", url, response, &[200]).await
    }

    /// POSTs `body` as JSON to `path` with the CSRF header; returns the JSON answer, which must
    /// have one of `statuses`.
    pub async fn post_json(
        &self,
        client: &Client,
        path: &str,
        csrf: &str,
        body: &Value,
        statuses: &[u16],
    ) -> Result<Value, SiteError> {
        let url = self.url(path);
        let request = client.post(&url).header("X-CSRFToken", csrf).json(body);
        let response =
            request.send().await.map_err(|source| SiteError::Request { method: "POST", url: url.clone(), source })?;
        json_of("POST", url, response, statuses).await
    }

    /// A fresh CSRF token for `client`'s session.
    pub async fn csrf_token(&self, client: &Client) -> Result<String, SiteError> {
        let body = self.get_json(client, "/api/csrf").await?;
        token_of("GET", self.url("/api/csrf"), &body)
    }

    /// Registers a fresh account named after `tag` through the API; its client is logged in.
    pub async fn register(&self, tag: &str) -> Result<Account, SiteError> {
        let client = self.client();
        let csrf = self.csrf_token(&client).await?;
        let username = fresh_username(tag);
        let url = self.url("/api/auth/register");
        let body = json!({"username": username, "password": PASSWORD});
        let request = client.post(&url).header("X-CSRFToken", &csrf).json(&body);
        let response =
            request.send().await.map_err(|source| SiteError::Request { method: "POST", url: url.clone(), source })?;
        let set_cookies = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect();
        let answer = json_of("POST", url.clone(), response, &[201]).await?;
        let id = answer["user"]["id"].as_i64().ok_or_else(|| unexpected("POST", &url, 201, &answer))?;
        let csrf = token_of("POST", url, &answer)?;
        Ok(Account { client, id, username, csrf, set_cookies })
    }

    /// Logs `username` in on a new client; returns the client and its session's CSRF token.
    pub async fn log_in(&self, username: &str, password: &str) -> Result<(Client, String), SiteError> {
        let client = self.client();
        let csrf = self.csrf_token(&client).await?;
        let body = json!({"username": username, "password": password});
        let answer = self.post_json(&client, "/api/auth/login", &csrf, &body, &[200]).await?;
        let csrf = token_of("POST", self.url("/api/auth/login"), &answer)?;
        Ok((client, csrf))
    }
}

/// A username no other account of this run has.
pub fn fresh_username(tag: &str) -> String {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let tag: String =
        tag.chars().filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_').take(8).collect();
    format!("{tag}_{}_{n}_{nanos:x}", std::process::id())
}

fn origin(scheme: &str, name: &str, port: u16, default: u16) -> String {
    if port == default { format!("{scheme}://{name}") } else { format!("{scheme}://{name}:{port}") }
}

/// The host of `url` and the address it stands for (the first the resolver gives).
async fn endpoint(what: &'static str, url: &str, scheme: &'static str) -> Result<(String, SocketAddr), SiteError> {
    let bad = || SiteError::Url { what, url: url.to_owned(), scheme };
    let parsed = Url::parse(url).map_err(|_| bad())?;
    let host = parsed.host_str().filter(|_| parsed.scheme() == scheme).ok_or_else(bad)?;
    let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = parsed.port_or_known_default().ok_or_else(bad)?;
    let resolved = tokio::net::lookup_host((host.as_str(), port)).await.map(|mut found| found.next());
    match resolved {
        Ok(Some(address)) => Ok((host, address)),
        Ok(None) => Err(SiteError::Resolve { host, reason: "no address".into() }),
        Err(error) => Err(SiteError::Resolve { host, reason: error.to_string() }),
    }
}

async fn json_of(
    method: &'static str,
    url: String,
    response: reqwest::Response,
    statuses: &[u16],
) -> Result<Value, SiteError> {
    let status = response.status().as_u16();
    let text = response.text().await.map_err(|source| SiteError::Request { method, url: url.clone(), source })?;
    match serde_json::from_str::<Value>(&text) {
        Ok(body) if statuses.contains(&status) => Ok(body),
        _ => Err(SiteError::Unexpected { method, url, status, body: text.chars().take(300).collect() }),
    }
}

fn token_of(method: &'static str, url: String, body: &Value) -> Result<String, SiteError> {
    body["csrf_token"].as_str().map(str::to_owned).ok_or_else(|| unexpected(method, &url, 200, body))
}

fn unexpected(method: &'static str, url: &str, status: u16, body: &Value) -> SiteError {
    SiteError::Unexpected { method, url: url.to_owned(), status, body: body.to_string().chars().take(300).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn urls_carry_the_name_and_only_non_default_ports() {
        let site =
            Site::new("https://127.0.0.1:8443", Some("shop.test"), Some("http://127.0.0.1:8080"), None).await.unwrap();
        assert_eq!(site.url("/healthz"), "https://shop.test:8443/healthz");
        assert_eq!(site.http_url("/x"), "http://shop.test:8080/x");
        let default = Site::new("https://127.0.0.1", Some("shop.test"), None, None).await.unwrap();
        assert_eq!(
            (default.url("/"), default.http_url("/")),
            ("https://shop.test/".into(), "http://shop.test/".into())
        );
        assert_eq!(default.http_addr().port(), 80);
    }

    #[tokio::test]
    async fn bad_urls_and_an_empty_ca_are_refused_naming_them() {
        let error = Site::new("http://127.0.0.1", None, None, None).await.unwrap_err().to_string();
        assert!(error.contains("base URL \"http://127.0.0.1\" is not an https:// URL"), "{error}");
        let error = Site::new("https://127.0.0.1", None, Some("ftp://x"), None).await.unwrap_err().to_string();
        assert!(error.contains("HTTP URL"), "{error}");
        let error = Site::new("https://127.0.0.1", None, None, Some(b"nothing".to_vec())).await.unwrap_err();
        assert_eq!(error.to_string(), "the CA file holds no PEM certificate");
    }

    #[test]
    fn fresh_usernames_differ_and_fit_the_apps_rules() {
        let (a, b) = (fresh_username("Edge check!"), fresh_username("Edge check!"));
        assert_ne!(a, b);
        assert!(a.len() <= 32 && a.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'), "{a}");
    }
}
