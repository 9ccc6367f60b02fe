//! The production edge as a client sees it, and the checks that judge it (shared by the
//! edge test and its mutants).

#![allow(dead_code)] // each binary uses its own subset

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};
use stackproof::probe::tls::{self, TestCa, TlsVersion};
use stackproof::probe::{cookies, headers};
use stackproof::prod::SERVER_NAME;
use stackproof::stack::{Replica, Stack, StackSpec};

use crate::util;

/// A booted production stack and how to reach its proxy.
pub struct Edge {
    pub stack: Stack,
    ca_pem: Vec<u8>,
    https_port: u16,
    http_port: u16,
}

impl Edge {
    /// Boots `spec` with certificates from a fresh test CA and finds the proxy's ports.
    pub async fn boot(spec: StackSpec) -> Result<Self> {
        let ca = TestCa::generate(SERVER_NAME).await?;
        let stack = spec.with_env("TLS_CERTS_SOURCE", ca.certs_dir().to_string_lossy()).up().await?;
        Ok(Edge {
            https_port: stack.host_port("proxy", 8443).await?,
            http_port: stack.host_port("proxy", 8080).await?,
            ca_pem: std::fs::read(ca.ca_pem())?,
            stack,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("https://{SERVER_NAME}:{}{path}", self.https_port)
    }

    fn http_url(&self, path: &str) -> String {
        format!("http://{SERVER_NAME}:{}{path}", self.http_port)
    }

    /// A client that trusts only the test CA and finds the site on loopback.
    fn client(&self) -> Result<reqwest::Client> {
        self.client_for(SERVER_NAME, true)
    }

    fn client_for(&self, name: &str, trust_ca: bool) -> Result<reqwest::Client> {
        // No transparent decompression (another crate turns reqwest's gzip feature on): the
        // checks must see the Content-Encoding the proxy sent.
        let mut builder = reqwest::Client::builder()
            .no_gzip()
            .resolve(name, SocketAddr::from(([127, 0, 0, 1], 0)))
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15));
        if trust_ca {
            builder = builder.tls_certs_only([reqwest::Certificate::from_pem(&self.ca_pem)?]);
        }
        Ok(builder.build()?)
    }
}

/// Every edge check, in a safe order (the last one kills a replica).
pub fn all() -> Vec<util::Check<Edge>> {
    crate::checks![Edge =>
        tls_1_0_and_1_1_are_refused,
        tls_1_2_and_1_3_negotiate_forward_secret_aead_ciphers,
        tls_1_2_refuses_static_rsa_dhe_and_cbc_ciphers,
        the_certificate_chains_to_the_ca_and_names_the_site,
        plain_http_redirects_to_https_with_308,
        the_acme_challenge_path_stays_on_plain_http,
        every_route_class_carries_the_security_headers,
        session_cookies_are_secure_httponly_samesite_and_host_prefixed,
        anonymous_users_are_refused_protected_routes,
        a_user_cannot_read_another_users_progress,
        metrics_are_not_reachable_through_the_proxy,
        static_files_are_served_by_the_proxy_gzipped,
        oversized_request_bodies_are_refused_by_the_proxy,
        state_changing_requests_without_a_csrf_token_are_refused,
        login_attempts_are_rate_limited_per_client,
        api_requests_are_rate_limited_per_client,
        requests_are_spread_over_every_replica,
        the_proxy_keeps_idle_connections_to_every_replica,
        // Last: it kills a replica.
        killing_a_replica_under_load_fails_no_request,
    ]
}

pub async fn tls_1_0_and_1_1_are_refused(edge: &Edge) -> Result<()> {
    for version in [TlsVersion::V1_0, TlsVersion::V1_1] {
        let handshake = tls::handshake(edge.https_port, SERVER_NAME, version, None).await?;
        ensure!(!handshake.accepted(), "{version:?} was accepted: {handshake:?}");
    }
    Ok(())
}

pub async fn tls_1_2_and_1_3_negotiate_forward_secret_aead_ciphers(edge: &Edge) -> Result<()> {
    let v12 = tls::handshake(edge.https_port, SERVER_NAME, TlsVersion::V1_2, None).await?;
    let cipher = v12.cipher.clone().unwrap_or_default();
    ensure!(v12.protocol.as_deref() == Some("TLSv1.2"), "TLS 1.2 refused: {v12:?}");
    ensure!(cipher.starts_with("ECDHE-") && (cipher.contains("GCM") || cipher.contains("CHACHA20")), "TLS 1.2 chose {cipher}");
    let v13 = tls::handshake(edge.https_port, SERVER_NAME, TlsVersion::V1_3, None).await?;
    ensure!(v13.protocol.as_deref() == Some("TLSv1.3"), "TLS 1.3 refused: {v13:?}");
    Ok(())
}

pub async fn tls_1_2_refuses_static_rsa_dhe_and_cbc_ciphers(edge: &Edge) -> Result<()> {
    let control = tls::handshake(edge.https_port, SERVER_NAME, TlsVersion::V1_2, Some("ECDHE-RSA-AES128-GCM-SHA256")).await?;
    ensure!(control.accepted(), "control cipher refused, so refusals below would prove nothing: {control:?}");
    for weak in ["AES128-GCM-SHA256", "AES256-SHA256", "DHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-SHA384"] {
        let handshake = tls::handshake(edge.https_port, SERVER_NAME, TlsVersion::V1_2, Some(weak)).await?;
        ensure!(!handshake.accepted(), "weak cipher {weak} accepted");
    }
    Ok(())
}

pub async fn the_certificate_chains_to_the_ca_and_names_the_site(edge: &Edge) -> Result<()> {
    let ok = edge.client()?.get(edge.url("/healthz")).send().await.context("trusted client")?;
    ensure!(ok.status() == 200, "/healthz answered {}", ok.status());
    let untrusting = edge.client_for(SERVER_NAME, false)?;
    ensure!(untrusting.get(edge.url("/healthz")).send().await.is_err(), "a client without the CA accepted the chain");
    let wrong_name = "not-the-site.test";
    let url = format!("https://{wrong_name}:{}/healthz", edge.https_port);
    ensure!(edge.client_for(wrong_name, true)?.get(url).send().await.is_err(), "the certificate was accepted for {wrong_name}");
    Ok(())
}

pub async fn plain_http_redirects_to_https_with_308(edge: &Edge) -> Result<()> {
    let client = edge.client()?;
    for request in [client.get(edge.http_url("/lessons?page=2")), client.post(edge.http_url("/lessons?page=2"))] {
        let response = request.send().await?;
        let location = response.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_owned();
        ensure!(response.status() == 308, "plain HTTP answered {}", response.status());
        ensure!(location == format!("https://{SERVER_NAME}/lessons?page=2"), "redirected to {location}");
    }
    Ok(())
}

pub async fn the_acme_challenge_path_stays_on_plain_http(edge: &Edge) -> Result<()> {
    let response = edge.client()?.get(edge.http_url("/.well-known/acme-challenge/no-such-token")).send().await?;
    ensure!(response.status() == 404, "the ACME path answered {} instead of a plain-HTTP 404", response.status());
    Ok(())
}

pub async fn every_route_class_carries_the_security_headers(edge: &Edge) -> Result<()> {
    let client = edge.client()?;
    let mut problems = Vec::new();
    let routes = ["/", "/lessons", "/login", "/api/lessons", "/static/style.css", "/no-such-page", "/api/no-such-thing", "/metrics"];
    for path in routes {
        let response = client.get(edge.url(path)).send().await?;
        for problem in headers::problems(response.headers()) {
            problems.push(format!("GET {path} ({}): {problem}", response.status()));
        }
    }
    let rejected = client.post(edge.url("/api/auth/login")).json(&json!({})).send().await?;
    for problem in headers::problems(rejected.headers()) {
        problems.push(format!("POST /api/auth/login without CSRF ({}): {problem}", rejected.status()));
    }
    ensure!(problems.is_empty(), "{}", problems.join("\n"));
    Ok(())
}

/// Registers a fresh user through the API; returns the client (logged in) and the user's id.
async fn register(edge: &Edge) -> Result<(reqwest::Client, i64, Vec<String>)> {
    let client = edge.client()?;
    let token = csrf_token(edge, &client).await?;
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.subsec_nanos();
    let username = format!("user_{}_{nanos}", std::process::id());
    let response = client
        .post(edge.url("/api/auth/register"))
        .header("X-CSRFToken", token)
        .json(&json!({"username": username, "password": "a long enough password"}))
        .send()
        .await?;
    let cookies = response.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect();
    ensure!(response.status() == 201, "registration answered {}", response.status());
    let body: Value = response.json().await?;
    Ok((client, body["user"]["id"].as_i64().context("no user id")?, cookies))
}

pub async fn session_cookies_are_secure_httponly_samesite_and_host_prefixed(edge: &Edge) -> Result<()> {
    let (_, _, set_cookies) = register(edge).await?;
    ensure!(!set_cookies.is_empty(), "logging in set no cookie");
    let problems: Vec<String> = set_cookies.iter().flat_map(|c| cookies::problems(c)).collect();
    ensure!(problems.is_empty(), "{}", problems.join("\n"));
    Ok(())
}

pub async fn anonymous_users_are_refused_protected_routes(edge: &Edge) -> Result<()> {
    let client = edge.client()?;
    for path in ["/api/me", "/api/users/1/progress", "/api/users/1/achievements"] {
        let status = client.get(edge.url(path)).send().await?.status();
        ensure!(status == 401, "anonymous GET {path} answered {status}");
    }
    let page = client.get(edge.url("/dashboard")).send().await?;
    let location = page.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default();
    ensure!(page.status().is_redirection() && location.contains("/login"), "anonymous /dashboard: {} -> {location}", page.status());
    Ok(())
}

pub async fn a_user_cannot_read_another_users_progress(edge: &Edge) -> Result<()> {
    let (alice, alice_id, _) = register(edge).await?;
    let (_, bob_id, _) = register(edge).await?;
    let own = alice.get(edge.url(&format!("/api/users/{alice_id}/progress"))).send().await?.status();
    ensure!(own == 200, "alice cannot read her own progress: {own}");
    for path in [format!("/api/users/{bob_id}/progress"), format!("/api/users/{bob_id}/achievements")] {
        let status = alice.get(edge.url(&path)).send().await?.status();
        ensure!(status == 403, "alice reading bob's {path} got {status}");
    }
    Ok(())
}

pub async fn metrics_are_not_reachable_through_the_proxy(edge: &Edge) -> Result<()> {
    let client = edge.client()?;
    for path in ["/metrics", "/metrics/", "//metrics", "/%6detrics", "/metrics?x=1"] {
        let response = client.get(edge.url(path)).send().await?;
        let status = response.status();
        let body = response.text().await?;
        ensure!(status == 404 && !body.contains("stockapp_"), "GET {path} answered {status} with metrics");
    }
    Ok(())
}

/// A username no other check uses.
fn fresh_username(tag: &str) -> String {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("{tag}_{n}_{nanos}")
}

async fn csrf_token(edge: &Edge, client: &reqwest::Client) -> Result<String> {
    let body: Value = client.get(edge.url("/api/csrf")).send().await?.json().await?;
    Ok(body["csrf_token"].as_str().context("no csrf_token")?.to_owned())
}

pub async fn static_files_are_served_by_the_proxy_gzipped(edge: &Edge) -> Result<()> {
    const FLASK_STATIC_ROUTE: &str = "/static/<path:filename>";
    let replicas = edge.stack.replicas("app").await?;
    let mut before = Vec::new();
    for replica in &replicas {
        before.push(served_by(&edge.stack, replica, FLASK_STATIC_ROUTE).await?);
    }
    let response = edge.client()?.get(edge.url("/static/style.css")).header("accept-encoding", "gzip").send().await?;
    let encoding = response.headers().get("content-encoding").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    ensure!(response.status() == 200, "/static/style.css answered {}", response.status());
    ensure!(encoding == "gzip", "/static/style.css is not gzipped (content-encoding {encoding:?})");
    for (replica, before) in replicas.iter().zip(before) {
        let reached = served_by(&edge.stack, replica, FLASK_STATIC_ROUTE).await? - before;
        ensure!(reached == 0.0, "a static file request reached the app ({}), not served by the proxy", replica.name);
    }
    Ok(())
}

pub async fn oversized_request_bodies_are_refused_by_the_proxy(edge: &Edge) -> Result<()> {
    let body = vec![b'x'; 1024 * 1024 + 1024];
    let response = edge.client()?.post(edge.url("/api/auth/login")).header("content-type", "application/json").body(body).send().await?;
    let status = response.status();
    let kind = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    ensure!(status == 413, "a 1 MiB + 1 KiB body answered {status}");
    // The app answers JSON on /api/; nginx's own 413 page is HTML: the proxy refused it.
    ensure!(kind.starts_with("text/html"), "413 came from the app ({kind}), the proxy let the body through");
    Ok(())
}

pub async fn state_changing_requests_without_a_csrf_token_are_refused(edge: &Edge) -> Result<()> {
    let client = edge.client()?;
    let username = fresh_username("csrf");
    let account = json!({"username": username, "password": "a long enough password"});
    let forged = client.post(edge.url("/api/auth/register")).json(&account).send().await?.status();
    ensure!(forged == 400, "registration without a CSRF token answered {forged}");
    let token = csrf_token(edge, &client).await?;
    let genuine = client.post(edge.url("/api/auth/register")).header("X-CSRFToken", token).json(&account).send().await?.status();
    ensure!(genuine == 201, "the refused request still created the account (retry answered {genuine})");
    Ok(())
}

pub async fn login_attempts_are_rate_limited_per_client(edge: &Edge) -> Result<()> {
    // A new username each time: the app's per-account limit never triggers, only the proxy's
    // per-client one can answer 429.
    let client = edge.client()?;
    let token = csrf_token(edge, &client).await?;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let attempt = json!({"username": fresh_username("guess"), "password": "wrong password"});
        let response = client.post(edge.url("/api/auth/login")).header("X-CSRFToken", &token).json(&attempt).send().await?;
        statuses.push(response.status().as_u16());
    }
    ensure!(statuses.contains(&429), "8 rapid failed logins from one client never met 429: {statuses:?}");
    Ok(())
}

pub async fn api_requests_are_rate_limited_per_client(edge: &Edge) -> Result<()> {
    let client = edge.client()?;
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let (client, url) = (client.clone(), edge.url("/api/lessons"));
        burst.spawn(async move { client.get(url).send().await.map(|r| r.status().as_u16()) });
    }
    let mut limited = 0;
    while let Some(status) = burst.join_next().await {
        limited += usize::from(status?? == 429);
    }
    ensure!(limited > 0, "100 simultaneous API requests from one client were all let through");
    println!("  {limited} of 100 simultaneous API requests were limited");
    Ok(())
}

/// Requests a replica has served on `route`, read from its own /metrics.
async fn served_by(stack: &Stack, replica: &Replica, route: &str) -> Result<f64> {
    let script = "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8000/metrics').read().decode())";
    let output = stack.exec_in(replica, &["python3", "-c", script], Duration::from_secs(30)).await?;
    let label = format!("route=\"{route}\"");
    Ok(output
        .stdout
        .lines()
        .filter(|line| line.starts_with("stockapp_http_requests_total{") && line.contains(&label))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum())
}

pub async fn requests_are_spread_over_every_replica(edge: &Edge) -> Result<()> {
    let replicas = edge.stack.replicas("app").await?;
    ensure!(replicas.len() >= 2, "only {} app replica(s)", replicas.len());
    let mut before = Vec::new();
    for replica in &replicas {
        before.push(served_by(&edge.stack, replica, "/lessons").await?);
    }
    let client = edge.client()?;
    for _ in 0..40 {
        ensure!(client.get(edge.url("/lessons")).send().await?.status() == 200, "GET /lessons failed");
    }
    for (replica, before) in replicas.iter().zip(before) {
        let served = served_by(&edge.stack, replica, "/lessons").await? - before;
        ensure!(served > 0.0, "replica {} served none of 40 requests", replica.name);
        println!("  {} served {served} of 40", replica.name);
    }
    Ok(())
}

/// The proxy's addresses as /proc/net/tcp writes them (IPv4, little-endian hex).
async fn proxy_addresses(stack: &Stack) -> Result<Vec<String>> {
    let mut hex = Vec::new();
    for proxy in stack.replicas("proxy").await? {
        let format = "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}";
        let output = tokio::process::Command::new("docker").args(["inspect", "-f", format, &proxy.id]).output().await?;
        for address in String::from_utf8_lossy(&output.stdout).split_whitespace() {
            let ip: std::net::Ipv4Addr = address.parse().with_context(|| format!("proxy address {address}"))?;
            hex.push(format!("{:08X}", u32::from_le_bytes(ip.octets())));
        }
    }
    Ok(hex)
}

/// Established TCP connections from the proxy to port 8000 inside `replica` (other clients,
/// such as Prometheus scraping /metrics, keep their own connections and do not count).
async fn established_from_proxy(stack: &Stack, replica: &Replica, proxy: &[String]) -> Result<usize> {
    let table = stack.exec_in(replica, &["cat", "/proc/net/tcp"], Duration::from_secs(30)).await?.stdout;
    let from_proxy = |line: &&str| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let local_is_app = fields.get(1).is_some_and(|local| local.ends_with(":1F40"));
        let remote_is_proxy = fields.get(2).is_some_and(|remote| proxy.iter().any(|p| remote.starts_with(p.as_str())));
        local_is_app && remote_is_proxy && fields.get(3) == Some(&"01")
    };
    Ok(table.lines().skip(1).filter(from_proxy).count())
}

pub async fn the_proxy_keeps_idle_connections_to_every_replica(edge: &Edge) -> Result<()> {
    let client = edge.client()?;
    for _ in 0..20 {
        ensure!(client.get(edge.url("/lessons")).send().await?.status() == 200, "GET /lessons failed");
    }
    let proxy = proxy_addresses(&edge.stack).await?;
    ensure!(!proxy.is_empty(), "the proxy has no address");
    for replica in edge.stack.replicas("app").await? {
        let idle = established_from_proxy(&edge.stack, &replica, &proxy).await?;
        ensure!(idle > 0, "no connection from the proxy stays open to {} (no upstream keepalive)", replica.name);
        println!("  {} keeps {idle} connection(s) open", replica.name);
    }
    Ok(())
}

pub async fn killing_a_replica_under_load_fails_no_request(edge: &Edge) -> Result<()> {
    const WORKERS: usize = 4;
    const LOAD_FOR: Duration = Duration::from_secs(12);
    const MAX_PER_WORKER: usize = 2_000;
    let victim = edge.stack.replicas("app").await?.remove(0);
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..WORKERS {
        let (client, url) = (edge.client()?, edge.url("/lessons"));
        workers.spawn(async move {
            let (mut ok, mut failed) = (0usize, Vec::new());
            while started.elapsed() < LOAD_FOR && ok + failed.len() < MAX_PER_WORKER {
                match client.get(&url).send().await {
                    Ok(r) if r.status() == 200 => ok += 1,
                    Ok(r) => failed.push(format!("{} at {:?}", r.status(), started.elapsed())),
                    Err(e) => failed.push(format!("{e} at {:?}", started.elapsed())),
                }
            }
            (ok, failed)
        });
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let killed = tokio::process::Command::new("docker").args(["kill", &victim.id]).output().await?;
    ensure!(killed.status.success(), "docker kill failed: {}", String::from_utf8_lossy(&killed.stderr));
    let (mut ok, mut failed) = (0, Vec::new());
    while let Some(result) = workers.join_next().await {
        let (worker_ok, worker_failed) = result?;
        ok += worker_ok;
        failed.extend(worker_failed);
    }
    println!("  {ok} requests succeeded while {} was killed", victim.name);
    ensure!(ok >= 100, "too little load to prove anything: {ok} requests");
    ensure!(failed.is_empty(), "{} of {} requests failed: {:?}", failed.len(), ok + failed.len(), &failed[..failed.len().min(5)]);
    Ok(())
}
