//! The production stack with its monitoring, booted with the test overlay
//! (`fixtures/monitoring/compose.yml`), and what the tests ask it. Prometheus, Alertmanager and
//! the exporters publish nothing: the test asks them from inside the internal network, through
//! the webhook receiver's container.

pub mod checks;
pub mod dashboards;
pub mod promql;

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;
use stackproof::probe::tls::TestCa;
use stackproof::prod::SERVER_NAME;
use stackproof::repo;
use stackproof::stack::{Stack, StackSpec};

/// The container the test asks from: on the internal network, with python3.
const INSIDE: &str = "alert-receiver";

/// The production intervals and the shorter ones the test runs with, as `key: value` lines of
/// prometheus.yml (the scrape timeout must stay below the scrape interval).
const SHORTENED: [(&str, &str); 4] = [
    ("scrape_interval: 15s", "scrape_interval: 5s"),
    ("evaluation_interval: 15s", "evaluation_interval: 5s"),
    ("scrape_timeout: 10s", "scrape_timeout: 4s"),
    ("refresh_interval: 15s", "refresh_interval: 5s"),
];

/// GETs each URL given and prints the bodies as a JSON list, whatever their HTTP status.
const GET_ALL: &str = "\
import json, sys, urllib.error, urllib.request
def get(url):
    try:
        answer = urllib.request.urlopen(url, timeout=10)
    except urllib.error.HTTPError as error:
        answer = error
    return answer.read().decode()
print(json.dumps([get(url) for url in sys.argv[1:]]))";

/// A booted production stack with monitoring, and what its files need to outlive it.
pub struct Monitoring {
    pub stack: Stack,
    https_port: u16,
    ca_pem: Vec<u8>,
    _ca: TestCa,
    _config: tempfile::TempDir,
}

/// One POST the webhook receiver logged.
#[derive(Debug)]
pub struct Notification {
    /// Unix time it arrived.
    pub received: f64,
    /// `/default`, `/pager` or `/deadman`: the receiver Alertmanager chose.
    pub path: String,
    /// `firing` or `resolved`.
    pub status: String,
    /// The alertnames it carries.
    pub alerts: Vec<String>,
}

impl Monitoring {
    /// Boots `spec` plus the test overlay, with certificates from a fresh test CA that the
    /// blackbox probe trusts, and Prometheus's intervals shortened.
    pub async fn boot(spec: StackSpec) -> Result<Self> {
        let ca = TestCa::generate(SERVER_NAME).await?;
        let config = shortened_prometheus_config()?;
        let stack = spec
            .with_file(repo::path("fixtures/monitoring/compose.yml"))
            .with_env("TLS_CERTS_SOURCE", ca.certs_dir().to_string_lossy())
            .with_env("MONITORING_CA_PEM", ca.ca_pem().to_string_lossy())
            .with_env("MONITORING_PROMETHEUS_YML", config.path().join("prometheus.yml").to_string_lossy())
            .up()
            .await?;
        Ok(Monitoring {
            https_port: stack.host_port("proxy", 8443).await?,
            ca_pem: std::fs::read(ca.ca_pem())?,
            stack,
            _ca: ca,
            _config: config,
        })
    }

    /// The bodies of GET `urls`, fetched from inside the internal network.
    pub async fn get_all(&self, urls: &[String]) -> Result<Vec<String>> {
        let mut args = vec!["python3", "-c", GET_ALL];
        args.extend(urls.iter().map(String::as_str));
        let output = self.stack.exec(INSIDE, &args, Duration::from_secs(60)).await?;
        Ok(serde_json::from_str(&output.stdout)?)
    }

    /// The `data` of a Prometheus API answer; an error answer is an error.
    pub async fn prometheus(&self, path: &str, params: &[(&str, &str)]) -> Result<Value> {
        let url = reqwest::Url::parse_with_params(&format!("http://prometheus:9090{path}"), params)?;
        data(&self.get_all(&[url.to_string()]).await?[0])
    }

    /// The instant vector `promql` evaluates to now.
    pub async fn query(&self, promql: &str) -> Result<Vec<Value>> {
        self.query_all(&[promql]).await?.remove(0)
    }

    /// What each of `promqls` evaluates to now (in one round trip), or why it did not run.
    pub async fn query_all(&self, promqls: &[&str]) -> Result<Vec<Result<Vec<Value>>>> {
        let url = |promql| reqwest::Url::parse_with_params("http://prometheus:9090/api/v1/query", &[("query", promql)]);
        let urls = promqls.iter().map(|q| url(q).map(String::from)).collect::<Result<Vec<_>, _>>()?;
        let answers = self.get_all(&urls).await?;
        Ok(answers.iter().map(|body| Ok(data(body)?["result"].as_array().cloned().unwrap_or_default())).collect())
    }

    /// The values of the samples `promql` returns.
    pub async fn values(&self, promql: &str) -> Result<Vec<f64>> {
        let samples = self.query(promql).await?;
        Ok(samples.iter().filter_map(|s| s["value"][1].as_str()?.parse().ok()).collect())
    }

    /// Every notification the webhook receiver has logged so far.
    pub async fn notifications(&self) -> Result<Vec<Notification>> {
        let receiver = self.stack.replicas(INSIDE).await?.into_iter().next().context("no webhook receiver")?;
        let logs = tokio::process::Command::new("docker").args(["logs", &receiver.id]).output().await?;
        ensure!(logs.status.success(), "docker logs failed: {}", String::from_utf8_lossy(&logs.stderr));
        let text = String::from_utf8_lossy(&logs.stdout);
        text.lines().filter(|l| l.starts_with('{')).map(parse_notification).collect()
    }

    /// Sends a little traffic through the proxy, so that the app's labelled metrics (per route,
    /// status, symbol) have series; returns the number of requests.
    pub async fn browse(&self) -> Result<usize> {
        let client = reqwest::Client::builder()
            .resolve(SERVER_NAME, SocketAddr::from(([127, 0, 0, 1], self.https_port)))
            .tls_certs_only([reqwest::Certificate::from_pem(&self.ca_pem)?])
            .timeout(Duration::from_secs(15))
            .build()?;
        let url = |path: &str| format!("https://{SERVER_NAME}:{}{path}", self.https_port);
        let symbols: Value = client.get(url("/api/symbols")).send().await?.error_for_status()?.json().await?;
        let symbol = symbols["symbols"][0].as_str().context("no symbol listed")?.to_owned();
        let mut paths = vec!["/".to_owned(), "/lessons".to_owned(), "/api/lessons".to_owned(), "/no-such-page".to_owned()];
        paths.push(format!("/api/analysis/{symbol}"));
        for path in &paths {
            let status = client.get(url(path)).send().await?.status();
            ensure!(status.is_success() || path == "/no-such-page", "GET {path} answered {status}");
        }
        Ok(paths.len() + 1)
    }
}

/// The `data` of a Prometheus API answer; an error answer is an error.
fn data(body: &str) -> Result<Value> {
    let answer: Value = serde_json::from_str(body).with_context(|| format!("Prometheus answered {body}"))?;
    ensure!(answer["status"] == "success", "{}: {}", answer["errorType"], answer["error"]);
    Ok(answer["data"].clone())
}

fn parse_notification(line: &str) -> Result<Notification> {
    let logged: Value = serde_json::from_str(line).with_context(|| format!("receiver logged {line}"))?;
    let body = &logged["body"];
    let alerts = body["alerts"].as_array().into_iter().flatten();
    Ok(Notification {
        received: logged["received"].as_f64().context("no receive time")?,
        path: logged["path"].as_str().unwrap_or_default().to_owned(),
        status: body["status"].as_str().unwrap_or_default().to_owned(),
        alerts: alerts.filter_map(|a| a["labels"]["alertname"].as_str().map(str::to_owned)).collect(),
    })
}

/// The production prometheus.yml with [`SHORTENED`] intervals, in a directory Prometheus's
/// uid can read.
fn shortened_prometheus_config() -> Result<tempfile::TempDir> {
    let production = std::fs::read_to_string(repo::path("deploy/prometheus/prometheus.yml"))?;
    let mut config = production.clone();
    for (from, to) in SHORTENED {
        if !config.contains(from) {
            bail!("deploy/prometheus/prometheus.yml has no `{from}` any more: update SHORTENED");
        }
        config = config.replace(from, to);
    }
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("prometheus.yml");
    std::fs::write(&file, config)?;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644))?;
    Ok(dir)
}

/// Seconds since the Unix epoch, comparable with the receiver's timestamps (same kernel clock).
pub fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}
