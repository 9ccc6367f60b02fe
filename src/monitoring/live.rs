//! The monitoring as it runs (`SP520`-`SP525`): every scrape target up, the site probe verifying
//! the certificate, the backup's results in Prometheus, every dashboard panel answering with
//! data, a stopped replica alerting a webhook and resolving, the dead-man heartbeat. Prometheus,
//! Alertmanager and the exporters publish nothing: the checks ask from inside the internal
//! network, through the webhook receiver's container that the test overlay
//! (`fixtures/monitoring/compose.yml`) adds.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::{dashboards, promql};
use crate::check::{Check, Finding, Kind, Location, Meta, Severity};
use crate::observe::{ObserveError, Outcome, problem};
use crate::probe::tls::TEST_CERT_DAYS;
use crate::site::Site;
use crate::stack::{Stack, StackSpec};
use crate::wait::{self, Probe};

/// The container the checks ask from: on the internal network, with python3.
const INSIDE: &str = "alert-receiver";

/// The production intervals and the shorter ones the test runs with, as `key: value` lines of
/// prometheus.yml (the scrape timeout must stay below the scrape interval).
const SHORTENED: [(&str, &str); 4] = [
    ("scrape_interval: 15s", "scrape_interval: 5s"),
    ("evaluation_interval: 15s", "evaluation_interval: 5s"),
    ("scrape_timeout: 10s", "scrape_timeout: 4s"),
    ("refresh_interval: 15s", "refresh_interval: 5s"),
];

/// Scrape jobs of deploy/prometheus/prometheus.yml; each must have targets, all up.
const JOBS: [&str; 6] = ["prometheus", "alertmanager", "app", "nginx", "node", "blackbox"];

/// Upper bounds, several times what was measured (docs/monitoring.md), for a loaded machine.
const TARGETS_UP_WITHIN: Duration = Duration::from_secs(90);
const FIRING_WITHIN: Duration = Duration::from_secs(150);
const RESOLVED_WITHIN: Duration = Duration::from_secs(90);
/// Prometheus drops the alerts of its first evaluation (no Alertmanager discovered yet) and
/// resends after its 1-minute resend delay: the first heartbeat can take that long.
const HEARTBEAT_WITHIN: Duration = Duration::from_secs(120);

/// GETs each URL given and prints, as a JSON list, each body (whatever its HTTP status) or why
/// there was none.
const GET_ALL: &str = "\
import json, sys, urllib.error, urllib.request
def get(url):
    try:
        answer = urllib.request.urlopen(url, timeout=10)
    except urllib.error.HTTPError as error:
        answer = error
    except OSError as error:
        return {'error': str(error)}
    return {'body': answer.read().decode()}
print(json.dumps([get(url) for url in sys.argv[1:]]))";

/// The files the monitoring overlay mounts; they must outlive the stack.
pub struct Overlay {
    root: PathBuf,
    config: tempfile::TempDir,
}

impl Overlay {
    /// Writes the shortened prometheus.yml the overlay mounts, from the tree at `root` (the
    /// repository, or a mutated copy of it).
    pub fn write(root: &Path) -> Result<Self, ObserveError> {
        Ok(Self { root: root.to_path_buf(), config: shortened_prometheus_config(root)? })
    }

    /// `spec` with the monitoring test overlay: the shortened prometheus.yml, the test CA for
    /// the blackbox probe (`ca_pem`), the webhook receiver.
    pub fn apply(&self, spec: StackSpec, ca_pem: &std::path::Path) -> StackSpec {
        spec.with_file(self.root.join("fixtures/monitoring/compose.yml"))
            .with_env("MONITORING_CA_PEM", ca_pem.to_string_lossy())
            .with_env("MONITORING_PROMETHEUS_YML", self.config.path().join("prometheus.yml").to_string_lossy())
    }
}

/// The production prometheus.yml with [`SHORTENED`] intervals, in a directory Prometheus's uid
/// can read.
fn shortened_prometheus_config(root: &Path) -> Result<tempfile::TempDir, ObserveError> {
    let io = |e: std::io::Error| ObserveError::Observation(format!("writing the shortened prometheus.yml: {e}"));
    let mut config = std::fs::read_to_string(root.join("deploy/prometheus/prometheus.yml")).map_err(io)?;
    for (from, to) in SHORTENED {
        if !config.contains(from) {
            return Err(ObserveError::Observation(format!(
                "deploy/prometheus/prometheus.yml has no `{from}` any more: update SHORTENED"
            )));
        }
        config = config.replace(from, to);
    }
    let dir = tempfile::tempdir().map_err(io)?;
    let file = dir.path().join("prometheus.yml");
    std::fs::write(&file, config).map_err(io)?;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).map_err(io)?;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).map_err(io)?;
    Ok(dir)
}

/// What a live monitoring check looks at: a stack booted with the overlay, its site, and the
/// tree it was built from (whose dashboards it must answer).
pub struct Monitoring<'a> {
    /// The stack.
    pub stack: &'a Stack,
    /// The site through its proxy.
    pub site: &'a Site,
    /// The repository, or the mutated copy the stack was built from.
    pub root: &'a Path,
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

impl Monitoring<'_> {
    /// The body of GET each of `urls`, fetched from inside the internal network, or why there
    /// was none.
    pub async fn fetch_each(&self, urls: &[String]) -> Result<Vec<Result<String, String>>, ObserveError> {
        let mut args = vec!["python3", "-c", GET_ALL];
        args.extend(urls.iter().map(String::as_str));
        let output = self.stack.exec(INSIDE, &args, Duration::from_secs(60)).await?;
        let answers: Vec<Value> = serde_json::from_str(&output.stdout)
            .map_err(|e| ObserveError::Observation(format!("the receiver printed no JSON list: {e}")))?;
        Ok(answers
            .iter()
            .map(|a| match (a["body"].as_str(), a["error"].as_str()) {
                (Some(body), _) => Ok(body.to_owned()),
                (None, error) => Err(error.unwrap_or("no body").to_owned()),
            })
            .collect())
    }

    /// The bodies of GET `urls`; any that cannot be fetched is an error naming it.
    pub async fn get_all(&self, urls: &[String]) -> Result<Vec<String>, ObserveError> {
        let answers = self.fetch_each(urls).await?;
        urls.iter()
            .zip(answers)
            .map(|(url, answer)| answer.map_err(|why| ObserveError::Observation(format!("GET {url}: {why}"))))
            .collect()
    }

    /// The `data` of a Prometheus API answer; an error answer is an error.
    pub async fn prometheus(&self, path: &str, params: &[(&str, &str)]) -> Result<Value, ObserveError> {
        let url = reqwest::Url::parse_with_params(&format!("http://prometheus:9090{path}"), params)
            .map_err(|e| ObserveError::Observation(e.to_string()))?;
        data(&self.get_all(&[url.to_string()]).await?[0])
    }

    /// The instant vector `promql` evaluates to now.
    pub async fn query(&self, promql: &str) -> Result<Vec<Value>, ObserveError> {
        self.query_all(&[promql]).await?.remove(0)
    }

    /// What each of `promqls` evaluates to now (in one round trip), or why it did not run.
    pub async fn query_all(&self, promqls: &[&str]) -> Result<Vec<Result<Vec<Value>, ObserveError>>, ObserveError> {
        let urls: Vec<String> = promqls
            .iter()
            .map(|q| {
                reqwest::Url::parse_with_params("http://prometheus:9090/api/v1/query", &[("query", q)])
                    .map(String::from)
            })
            .collect::<Result<_, _>>()
            .map_err(|e| ObserveError::Observation(e.to_string()))?;
        let answers = self.get_all(&urls).await?;
        Ok(answers.iter().map(|body| Ok(data(body)?["result"].as_array().cloned().unwrap_or_default())).collect())
    }

    /// The values of the samples `promql` returns.
    pub async fn values(&self, promql: &str) -> Result<Vec<f64>, ObserveError> {
        let samples = self.query(promql).await?;
        Ok(samples.iter().filter_map(|s| s["value"][1].as_str()?.parse().ok()).collect())
    }

    /// Every notification the webhook receiver has logged so far.
    pub async fn notifications(&self) -> Result<Vec<Notification>, ObserveError> {
        let logs = self.stack.service_logs(INSIDE, 10_000).await?;
        logs.lines().filter(|l| l.starts_with('{')).map(parse_notification).collect()
    }

    /// Waits for the first notification received after `since` that reports `alertname` as
    /// `status`.
    pub async fn first_notification(
        &self,
        alertname: &str,
        status: &str,
        since: f64,
        within: Duration,
    ) -> Result<Notification, ObserveError> {
        let what = format!("a {status} {alertname} notification at the webhook");
        Ok(wait::until(&what, within, Duration::from_secs(1), || async {
            match self.notifications().await {
                Ok(all) => {
                    let seen = all.len();
                    let matches = |n: &Notification| {
                        n.received >= since && n.status == status && n.alerts.iter().any(|a| a == alertname)
                    };
                    all.into_iter()
                        .find(matches)
                        .map_or_else(|| Probe::Pending(format!("{seen} notifications, none matching")), Probe::Ready)
                }
                Err(error) => Probe::Pending(error.to_string()),
            }
        })
        .await?)
    }

    /// Sends a little traffic through the proxy, so that the app's labelled metrics (per route,
    /// status, symbol) have series; returns the number of requests.
    pub async fn browse(&self) -> Result<usize, ObserveError> {
        let client = self.site.client();
        let symbols = self.site.get_json(&client, "/api/symbols").await?;
        let symbol = symbols["symbols"][0]
            .as_str()
            .ok_or_else(|| ObserveError::Observation("no symbol listed".into()))?
            .to_owned();
        let paths = [
            "/".to_owned(),
            "/lessons".to_owned(),
            "/api/lessons".to_owned(),
            "/no-such-page".to_owned(),
            format!("/api/analysis/{symbol}"),
        ];
        for path in &paths {
            let url = self.site.url(path);
            let status = client
                .get(&url)
                .send()
                .await
                .map_err(|source| ObserveError::Http { url: url.clone(), source })?
                .status();
            if !status.is_success() && path != "/no-such-page" {
                return Err(ObserveError::Observation(format!("GET {path} answered {status}")));
            }
        }
        let account = self.site.register("browse").await?;
        let body = serde_json::json!({});
        self.site.post_json(&account.client, "/api/lessons/returns/complete", &account.csrf, &body, &[200]).await?;
        Ok(paths.len() + 5)
    }
}

/// Seconds since the Unix epoch, comparable with the receiver's timestamps (same kernel clock).
pub fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// The `data` of a Prometheus API answer; an error answer is an error.
fn data(body: &str) -> Result<Value, ObserveError> {
    let answer: Value =
        serde_json::from_str(body).map_err(|_| ObserveError::Observation(format!("Prometheus answered {body}")))?;
    if answer["status"] != "success" {
        return Err(ObserveError::Observation(format!("{}: {}", answer["errorType"], answer["error"])));
    }
    Ok(answer["data"].clone())
}

fn parse_notification(line: &str) -> Result<Notification, ObserveError> {
    let logged: Value =
        serde_json::from_str(line).map_err(|_| ObserveError::Observation(format!("the receiver logged {line}")))?;
    let body = &logged["body"];
    let alerts = body["alerts"].as_array().into_iter().flatten();
    Ok(Notification {
        received: logged["received"]
            .as_f64()
            .ok_or_else(|| ObserveError::Observation(format!("no receive time in {line}")))?,
        path: logged["path"].as_str().unwrap_or_default().to_owned(),
        status: body["status"].as_str().unwrap_or_default().to_owned(),
        alerts: alerts.filter_map(|a| a["labels"]["alertname"].as_str().map(str::to_owned)).collect(),
    })
}

/// How a live monitoring check looks.
pub type Look =
    for<'a> fn(&'a Monitoring<'a>) -> std::pin::Pin<Box<dyn std::future::Future<Output = Outcome> + Send + 'a>>;

/// A live check's look, and whether it disrupts the stack (runs last).
pub struct Live {
    /// It stops something for a while.
    pub disrupts: bool,
    /// How it looks.
    pub look: Look,
}

/// A live monitoring check.
pub type LiveCheck = Check<Live>;

macro_rules! live_check {
    ($name:ident, $id:literal, $kebab:literal, $disrupts:literal, $summary:literal, $fix:literal, $look:ident) => {
        #[doc = $summary]
        pub static $name: LiveCheck = LiveCheck {
            meta: Meta {
                id: $id,
                name: $kebab,
                kind: Kind::Monitoring,
                severity: Severity::Error,
                summary: $summary,
                fix: $fix,
            },
            run: Live {
                disrupts: $disrupts,
                look: {
                    fn boxed<'a>(
                        m: &'a Monitoring<'a>,
                    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Outcome> + Send + 'a>> {
                        Box::pin($look(m))
                    }
                    boxed as Look
                },
            },
        };
    };
}

live_check!(
    TARGETS_UP,
    "SP520",
    "every-scrape-target-is-up",
    false,
    "every scrape job has targets and all are up; the app job has exactly the running replicas, each found by DNS",
    "correct the target the job names (service name, port), or the service that does not answer",
    targets_up
);
live_check!(
    SITE_PROBE,
    "SP521",
    "the-site-probe-verifies-the-certificate",
    false,
    "the blackbox probe of the site succeeds with the test CA's certificate and its expiry, and fails for another name",
    "keep the probe's hostname parameter the public name, and its CA the one that signs the site",
    site_probe
);
live_check!(
    BACKUP_METRICS,
    "SP522",
    "backup-results-reach-prometheus",
    false,
    "the backup sidecar's last-run metrics reach Prometheus through node-exporter's textfile collector without errors",
    "keep the textfile volume shared between the backup sidecar (rw) and node-exporter (ro)",
    backup_metrics
);
live_check!(
    DASHBOARD_DATA,
    "SP523",
    "every-dashboard-panel-returns-data",
    false,
    "after traffic, every query of every dashboard panel returns data, each variable matching the values Grafana would offer",
    "correct the metric or label the panel names (compare with a live scrape of the target)",
    dashboard_data
);
live_check!(
    REPLICA_ALERT,
    "SP524",
    "a-stopped-replica-alerts-and-resolves",
    true,
    "a stopped app replica raises AppReplicaDown at the default webhook, and starting it again resolves it",
    "check the app job's DNS discovery, the AppReplicaDown rule and Alertmanager's default route",
    replica_alert
);
live_check!(
    HEARTBEAT,
    "SP525",
    "the-watchdog-reaches-the-dead-man-receiver",
    false,
    "the always-firing Watchdog alert reaches the dead-man receiver, so its silence can page",
    "keep Watchdog routed to the deadman receiver with a short repeat interval",
    heartbeat
);

/// Runs `check` on `m`: its problems as findings, or one finding saying why it could not look.
pub async fn run(check: &'static LiveCheck, m: &Monitoring<'_>) -> Vec<Finding> {
    match (check.run.look)(m).await {
        Ok(problems) => problems.into_iter().map(|p| check.finding(Location::url(p.url), p.message)).collect(),
        Err(error) => {
            vec![check.finding(Location::url("http://prometheus:9090/"), format!("could not be observed: {error}"))]
        }
    }
}

/// Every live monitoring check, in id order.
pub static ALL: [&LiveCheck; 6] =
    [&TARGETS_UP, &SITE_PROBE, &BACKUP_METRICS, &DASHBOARD_DATA, &REPLICA_ALERT, &HEARTBEAT];

async fn targets_up(m: &Monitoring<'_>) -> Outcome {
    let mut replicas = BTreeSet::new();
    for replica in m.stack.replicas("app").await? {
        replicas.insert(format!("{}:8000", m.stack.address_on(&replica.id, "backend").await?));
    }
    let failed_scrapes = std::sync::Mutex::new(FailedScrapes::new());
    let targets = wait::until("every scrape target up", TARGETS_UP_WITHIN, Duration::from_secs(2), || async {
        match m.prometheus("/api/v1/targets", &[("state", "active")]).await {
            Ok(data) => match failed_scrapes.lock() {
                Ok(mut failed) => judge_targets(&data, &replicas, &mut failed),
                Err(_) => Probe::Failed("the scrape record was poisoned".into()),
            },
            Err(error) => Probe::Pending(error.to_string()),
        }
    })
    .await;
    match targets {
        Ok(targets) => {
            for (job, instances) in targets {
                println!("  {job}: {}", instances.join(", "));
            }
            Ok(Vec::new())
        }
        Err(error) => Ok(vec![problem("http://prometheus:9090/api/v1/targets", error.to_string())]),
    }
}

/// Scrapes seen failing, per target: the distinct `lastScrape` times it was down at.
type FailedScrapes = BTreeMap<String, BTreeSet<String>>;

/// Failed scrapes in a row after which a down target is judged down, not still starting (the
/// stack is healthy before any check runs, so this only spares waiting out the deadline).
const DOWN_AFTER_FAILED_SCRAPES: usize = 3;

/// Ready (with each job's instances) when every job has targets, all up, and the app job has
/// exactly the running replicas; failed once a target has failed [`DOWN_AFTER_FAILED_SCRAPES`]
/// scrapes without one success between them.
fn judge_targets(
    data: &Value,
    replicas: &BTreeSet<String>,
    failed: &mut FailedScrapes,
) -> Probe<BTreeMap<String, Vec<String>>> {
    let mut by_job: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut down = Vec::new();
    let mut given_up = false;
    for target in data["activeTargets"].as_array().into_iter().flatten() {
        let (job, instance) =
            (target["labels"]["job"].as_str().unwrap_or("?"), target["labels"]["instance"].as_str().unwrap_or("?"));
        by_job.entry(job.to_owned()).or_default().push(instance.to_owned());
        let key = format!("{job}/{instance}");
        if target["health"] == "up" {
            failed.remove(&key);
            continue;
        }
        down.push(format!("{key} is {} ({})", target["health"], target["lastError"]));
        let scrapes = failed.entry(key).or_default();
        scrapes.insert(target["lastScrape"].as_str().unwrap_or_default().to_owned());
        given_up |= scrapes.len() >= DOWN_AFTER_FAILED_SCRAPES;
    }
    let missing: Vec<_> = JOBS.iter().filter(|job| !by_job.contains_key(**job)).collect();
    let app: BTreeSet<String> = by_job.get("app").into_iter().flatten().cloned().collect();
    if !missing.is_empty() || !down.is_empty() || &app != replicas {
        let seen =
            format!("jobs without targets: {missing:?}; down: {down:?}; app targets {app:?}, replicas {replicas:?}");
        return if given_up { Probe::Failed(seen) } else { Probe::Pending(seen) };
    }
    Probe::Ready(by_job)
}

async fn site_probe(m: &Monitoring<'_>) -> Outcome {
    let name = m.site.server_name();
    let at = "http://blackbox:9115/probe";
    let mut problems = Vec::new();
    let success = m.values("probe_success{job=\"blackbox\"}").await?;
    if success != [1.0] {
        problems.push(problem(at, format!("the site probe's probe_success is {success:?}")));
    }
    let days_left = m.values("(probe_ssl_earliest_cert_expiry{job=\"blackbox\"} - time()) / 86400").await?;
    let from_test_ca = days_left.len() == 1
        && days_left[0] > f64::from(TEST_CERT_DAYS) - 2.0
        && days_left[0] <= f64::from(TEST_CERT_DAYS);
    if !from_test_ca {
        problems.push(problem(
            at,
            format!("certificate expiry in {days_left:?} days is not the test CA's {TEST_CERT_DAYS}-day certificate"),
        ));
    }
    // Control: the probe exactly as Prometheus makes it (its module, its target), under another
    // name, must fail on the certificate, or the success above proves nothing about
    // verification.
    let scrape = probe_url(m).await?;
    let params: BTreeMap<String, String> = scrape.query_pairs().into_owned().collect();
    if params.get("hostname").map(String::as_str) != Some(name) {
        problems.push(problem(
            at,
            format!("the site probe asks for {:?}, not the site's name {name}", params.get("hostname")),
        ));
    }
    let replay = |host: &str| {
        let mut url = scrape.clone();
        let pairs = params.iter().filter(|(k, _)| *k != "hostname" && *k != "debug");
        url.query_pairs_mut().clear().extend_pairs(pairs).append_pair("hostname", host).append_pair("debug", "true");
        url.to_string()
    };
    let answers = m.get_all(&[replay(name), replay("not-the-site.test")]).await?;
    if !answers[0].contains("probe_success 1") {
        problems.push(problem(at, format!("Prometheus's probe of {name}, replayed, failed:\n{}", answers[0])));
    }
    if !(answers[1].contains("probe_success 0") && answers[1].contains("x509")) {
        problems.push(problem(
            at,
            format!(
                "Prometheus's probe (module {:?}) accepts a certificate for another name: it does not verify\n{}",
                params.get("module"),
                answers[1]
            ),
        ));
    }
    Ok(problems)
}

/// The URL Prometheus scrapes for the site probe (blackbox job), with its parameters.
async fn probe_url(m: &Monitoring<'_>) -> Result<reqwest::Url, ObserveError> {
    let targets = m.prometheus("/api/v1/targets", &[("state", "active")]).await?;
    let urls: Vec<&str> = targets["activeTargets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["labels"]["job"] == "blackbox")
        .filter_map(|t| t["scrapeUrl"].as_str())
        .collect();
    match urls[..] {
        [url] => reqwest::Url::parse(url).map_err(|e| ObserveError::Observation(format!("scrape URL {url}: {e}"))),
        _ => Err(ObserveError::Observation(format!("the blackbox job has {} targets, want 1: {urls:?}", urls.len()))),
    }
}

async fn backup_metrics(m: &Monitoring<'_>) -> Outcome {
    let at = "http://node-exporter:9100/metrics";
    let mut problems = Vec::new();
    let success = m.values("stackproof_backup_last_run_success{job=\"node\"}").await?;
    if success != [1.0] {
        problems.push(problem(at, format!("stackproof_backup_last_run_success from node-exporter is {success:?}")));
    }
    let errors = m.values("node_textfile_scrape_error").await?;
    if errors != [0.0] {
        problems.push(problem(at, format!("node_textfile_scrape_error is {errors:?}")));
    }
    Ok(problems)
}

async fn dashboard_data(m: &Monitoring<'_>) -> Outcome {
    let sent = m.browse().await?;
    // Two scrapes of the new series, so that rate() over them has a value.
    wait::until("the traffic in Prometheus", Duration::from_secs(60), Duration::from_secs(2), || async {
        match m.values("min(count_over_time(stockapp_analysis_requests_total[1m]))").await {
            Ok(v) if v.first().is_some_and(|n| *n >= 2.0) => Probe::Ready(()),
            other => Probe::Pending(format!("{other:?}")),
        }
    })
    .await?;
    let dir = m.root.join("deploy/grafana/dashboards");
    let at = "http://prometheus:9090/api/v1/query";
    // Each variable gets the values Grafana would offer (its label_values query asked of
    // Prometheus), so a panel filtering on a label its metric lacks matches nothing, as it does
    // once a user picks a value; `.*` would match the missing label too.
    let mut values = dashboards::Values::new();
    let mut problems = Vec::new();
    for variable in dashboards::label_variables(&dir).map_err(|e| ObserveError::Observation(e.to_string()))? {
        let path = format!("/api/v1/label/{}/values", variable.label);
        let offered: Vec<String> = m
            .prometheus(&path, &[("match[]", &variable.metric)])
            .await?
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        if offered.is_empty() {
            let query = format!("label_values({}, {})", variable.metric, variable.label);
            problems.push(problem(at, format!("variable ${} offers no value: {query} is empty", variable.name)));
        } else {
            values.insert(variable.name.clone(), offered);
        }
    }
    let queries = dashboards::queries(&dir, &values).map_err(|e| ObserveError::Observation(e.to_string()))?;
    if queries.is_empty() {
        return Ok(vec![problem(at, "the dashboards hold no query: nothing is shown")]);
    }
    let scraped = scraped_names(m).await?;
    let recorded = recording_rules(m).await?;
    let results = m.query_all(&queries.iter().map(|q| q.expr.as_str()).collect::<Vec<_>>()).await?;
    for (query, result) in queries.iter().zip(results) {
        match result {
            Err(error) => problems.push(problem(at, format!("{}: {} does not run: {error}", query.panel, query.expr))),
            Ok(samples) if !samples.is_empty() => {}
            Ok(_) => {
                let names = promql::metric_names(&query.expr);
                let unknown: Vec<_> =
                    names.iter().filter(|n| !scraped.contains(*n) && !recorded.contains(*n)).collect();
                let why = if unknown.is_empty() {
                    "although its metrics are scraped: a label or value in it matches nothing".to_owned()
                } else {
                    format!("and {unknown:?} is in no scrape and no recording rule")
                };
                problems.push(problem(at, format!("{}: {} returns no data, {why}", query.panel, query.expr)));
            }
        }
    }
    println!("  {} panel queries answered after {sent} requests", queries.len());
    Ok(problems)
}

/// Every metric name in a live scrape of every active target (samples and HELP/TYPE lines).
async fn scraped_names(m: &Monitoring<'_>) -> Result<BTreeSet<String>, ObserveError> {
    let targets = m.prometheus("/api/v1/targets", &[("state", "active")]).await?;
    let urls: Vec<String> = targets["activeTargets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["scrapeUrl"].as_str())
        // Prometheus scrapes itself on its own loopback; the check asks from another container.
        .map(|url| url.replace("//localhost:9090/", "//prometheus:9090/"))
        .collect();
    // A target that cannot be reached contributes no names (SP520 reports it).
    let bodies: Vec<String> = m.fetch_each(&urls).await?.into_iter().filter_map(Result::ok).collect();
    let name_of = |line: &str| {
        let line = line.strip_prefix("# HELP ").or_else(|| line.strip_prefix("# TYPE ")).unwrap_or(line);
        line.split(['{', ' ']).next().unwrap_or_default().to_owned()
    };
    Ok(bodies
        .iter()
        .flat_map(|body| body.lines().map(name_of))
        .filter(|n| !n.is_empty() && !n.starts_with('#'))
        .collect())
}

async fn recording_rules(m: &Monitoring<'_>) -> Result<BTreeSet<String>, ObserveError> {
    let rules = m.prometheus("/api/v1/rules", &[("type", "record")]).await?;
    let groups = rules["groups"].as_array().into_iter().flatten();
    Ok(groups
        .flat_map(|g| g["rules"].as_array().into_iter().flatten())
        .filter_map(|r| r["name"].as_str().map(str::to_owned))
        .collect())
}

async fn replica_alert(m: &Monitoring<'_>) -> Outcome {
    let at = "http://alert-receiver:9000/default";
    let active = m.query("ALERTS{alertname=\"AppReplicaDown\"}").await?;
    if !active.is_empty() {
        let states: Vec<&str> = active.iter().filter_map(|a| a["metric"]["alertstate"].as_str()).collect();
        let replicas = m.stack.replicas("app").await?.len();
        return Ok(vec![problem(
            at,
            format!(
                "AppReplicaDown is {states:?} before any fault, with {replicas} replica(s) running: it cannot tell a stop"
            ),
        )]);
    }
    let victim = m
        .stack
        .replicas("app")
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ObserveError::Observation("no app replica".into()))?;
    let stopped = now();
    m.stack.docker(&["stop", &victim.id], Duration::from_secs(60)).await?;
    let fired = m.first_notification("AppReplicaDown", "firing", stopped, FIRING_WITHIN).await;
    let started = now();
    m.stack.docker(&["start", &victim.id], Duration::from_secs(60)).await?;
    let fired = fired?;
    let resolved = m.first_notification("AppReplicaDown", "resolved", started, RESOLVED_WITHIN).await?;
    println!(
        "  docker stop {} -> AppReplicaDown firing at the webhook: {:.1} s",
        victim.name,
        fired.received - stopped
    );
    println!("  docker start -> AppReplicaDown resolved at the webhook: {:.1} s", resolved.received - started);
    if fired.path != "/default" {
        return Ok(vec![problem(
            at,
            format!("AppReplicaDown (a warning) went to {} instead of the default receiver", fired.path),
        )]);
    }
    Ok(Vec::new())
}

async fn heartbeat(m: &Monitoring<'_>) -> Outcome {
    let heartbeat = m.first_notification("Watchdog", "firing", 0.0, HEARTBEAT_WITHIN).await?;
    if heartbeat.path != "/deadman" {
        return Ok(vec![problem(
            "http://alert-receiver:9000/deadman",
            format!("Watchdog went to {} instead of the dead-man receiver", heartbeat.path),
        )]);
    }
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn targets(alertmanager: &str, scraped_at: &str) -> Value {
        let target = |job: &str, instance: &str, health: &str| {
            json!({"labels": {"job": job, "instance": instance}, "health": health, "lastError": "",
                   "lastScrape": scraped_at})
        };
        let mut all: Vec<Value> =
            JOBS.iter().filter(|j| **j != "alertmanager").map(|j| target(j, "a:1", "up")).collect();
        all.push(target("alertmanager", "alertmanager:9093", alertmanager));
        json!({"activeTargets": all})
    }

    #[test]
    fn a_target_down_for_three_scrapes_fails_and_an_up_one_forgives() {
        let replicas = BTreeSet::from(["a:1".to_owned()]);
        let mut failed = FailedScrapes::new();
        assert!(matches!(judge_targets(&targets("down", "t1"), &replicas, &mut failed), Probe::Pending(_)));
        assert!(matches!(judge_targets(&targets("down", "t1"), &replicas, &mut failed), Probe::Pending(_)));
        assert!(matches!(judge_targets(&targets("down", "t2"), &replicas, &mut failed), Probe::Pending(_)));
        assert!(matches!(judge_targets(&targets("up", "t3"), &replicas, &mut failed), Probe::Ready(_)));
        for scrape in ["t4", "t5"] {
            assert!(matches!(judge_targets(&targets("down", scrape), &replicas, &mut failed), Probe::Pending(_)));
        }
        let third = judge_targets(&targets("down", "t6"), &replicas, &mut failed);
        assert!(matches!(third, Probe::Failed(ref seen) if seen.contains("alertmanager/alertmanager:9093 is")));
    }
}
