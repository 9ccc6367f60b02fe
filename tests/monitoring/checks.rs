//! The checks of the running monitoring, in the order `all()` runs them.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde_json::Value;
use stackproof::prod::SERVER_NAME;
use stackproof::repo;
use stackproof::wait::{self, Probe};

use super::{Monitoring, Notification, dashboards, now, promql};
use crate::util;

/// Scrape jobs of deploy/prometheus/prometheus.yml; each must have targets, all up.
const JOBS: [&str; 6] = ["prometheus", "alertmanager", "app", "nginx", "node", "blackbox"];
/// Upper bounds, several times what was measured (docs/monitoring.md), for a loaded machine.
const TARGETS_UP_WITHIN: Duration = Duration::from_secs(90);
const FIRING_WITHIN: Duration = Duration::from_secs(150);
const RESOLVED_WITHIN: Duration = Duration::from_secs(90);
/// Prometheus drops the alerts of its first evaluation (no Alertmanager discovered yet) and
/// resends after its 1-minute resend delay: the first heartbeat can take that long.
const HEARTBEAT_WITHIN: Duration = Duration::from_secs(120);

/// Every check, in a safe order: the replica check runs after those that need every replica
/// (it starts again what it stopped), and the heartbeat check last, as the first heartbeat comes
/// about a minute after Prometheus starts.
pub fn all() -> Vec<util::Check<Monitoring>> {
    crate::checks![Monitoring =>
        every_scrape_target_is_up,
        the_site_probe_succeeds_and_verifies_the_certificate,
        backup_metrics_in_the_textfile_volume_reach_prometheus,
        every_dashboard_query_returns_data_or_reads_only_scraped_metrics,
        a_stopped_replica_fires_app_replica_down_and_its_restart_resolves_it,
        the_watchdog_heartbeat_reaches_the_dead_man_receiver,
    ]
}

pub async fn every_scrape_target_is_up(m: &Monitoring) -> Result<()> {
    let mut replicas = BTreeSet::new();
    for replica in m.stack.replicas("app").await? {
        replicas.insert(format!("{}:8000", backend_ip(&replica.id).await?));
    }
    let targets = wait::until("every scrape target up", TARGETS_UP_WITHIN, Duration::from_secs(2), || async {
        match m.prometheus("/api/v1/targets", &[("state", "active")]).await {
            Ok(data) => judge_targets(&data, &replicas),
            Err(error) => Probe::Pending(error.to_string()),
        }
    })
    .await?;
    for (job, instances) in targets {
        println!("  {job}: {}", instances.join(", "));
    }
    Ok(())
}

/// Ready (with each job's instances) when every job has targets, all up, and the app job has
/// exactly the running replicas.
fn judge_targets(data: &Value, replicas: &BTreeSet<String>) -> Probe<BTreeMap<String, Vec<String>>> {
    let mut by_job: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut down = Vec::new();
    for target in data["activeTargets"].as_array().into_iter().flatten() {
        let (job, instance) = (target["labels"]["job"].as_str().unwrap_or("?"), target["labels"]["instance"].as_str().unwrap_or("?"));
        by_job.entry(job.to_owned()).or_default().push(instance.to_owned());
        if target["health"] != "up" {
            down.push(format!("{job}/{instance} is {} ({})", target["health"], target["lastError"]));
        }
    }
    let missing: Vec<_> = JOBS.iter().filter(|job| !by_job.contains_key(**job)).collect();
    let app: BTreeSet<String> = by_job.get("app").into_iter().flatten().cloned().collect();
    if !missing.is_empty() || !down.is_empty() || &app != replicas {
        return Probe::Pending(format!("jobs without targets: {missing:?}; down: {down:?}; app targets {app:?}, replicas {replicas:?}"));
    }
    Probe::Ready(by_job)
}

async fn backend_ip(container: &str) -> Result<String> {
    let format = "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}";
    let inspect = tokio::process::Command::new("docker").args(["inspect", "--format", format, container]).output().await?;
    let ips = String::from_utf8_lossy(&inspect.stdout).split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    ensure!(ips.len() == 1, "app replica {container} should be on one network, has addresses {ips:?}");
    Ok(ips[0].clone())
}

pub async fn the_site_probe_succeeds_and_verifies_the_certificate(m: &Monitoring) -> Result<()> {
    let success = m.values("probe_success{job=\"blackbox\"}").await?;
    ensure!(success == [1.0], "the site probe's probe_success is {success:?}");
    let days_left: Vec<f64> = m.values("(probe_ssl_earliest_cert_expiry{job=\"blackbox\"} - time()) / 86400").await?;
    let from_test_ca = days_left.len() == 1 && days_left[0] > 0.0 && days_left[0] <= 2.0;
    ensure!(from_test_ca, "certificate expiry in {days_left:?} days is not the test CA's 2-day certificate");
    // Control: the same probe under another name must fail on the certificate, or success above
    // would prove nothing about verification.
    let probe = |name: &str| {
        format!("http://blackbox:9115/probe?module=https_healthz&target=https://proxy:8443/healthz&hostname={name}&debug=true")
    };
    let answers = m.get_all(&[probe(SERVER_NAME), probe("not-the-site.test")]).await?;
    ensure!(answers[0].contains("probe_success 1"), "a direct probe of {SERVER_NAME} failed:\n{}", answers[0]);
    let refused = answers[1].contains("probe_success 0") && answers[1].contains("x509");
    ensure!(refused, "a wrong name was not refused on the certificate:\n{}", answers[1]);
    Ok(())
}

pub async fn backup_metrics_in_the_textfile_volume_reach_prometheus(m: &Monitoring) -> Result<()> {
    let success = m.values("stackproof_backup_last_run_success{job=\"node\"}").await?;
    ensure!(success == [1.0], "stackproof_backup_last_run_success from node-exporter is {success:?}");
    let errors = m.values("node_textfile_scrape_error").await?;
    ensure!(errors == [0.0], "node_textfile_scrape_error is {errors:?}");
    Ok(())
}

pub async fn every_dashboard_query_returns_data_or_reads_only_scraped_metrics(m: &Monitoring) -> Result<()> {
    let sent = m.browse().await?;
    // Two scrapes of the new series, so that rate() over them has a value.
    wait::until("the traffic in Prometheus", Duration::from_secs(60), Duration::from_secs(2), || async {
        match m.values("min(count_over_time(stockapp_analysis_requests_total[1m]))").await {
            Ok(v) if v.first().is_some_and(|n| *n >= 2.0) => Probe::Ready(()),
            other => Probe::Pending(format!("{other:?}")),
        }
    })
    .await?;
    let scraped = scraped_names(m).await?;
    let recorded = recording_rules(m).await?;
    let (mut problems, mut without_data) = (Vec::new(), Vec::new());
    let queries = dashboards::queries(&repo::path("deploy/grafana/dashboards"))?;
    let results = m.query_all(&queries.iter().map(|q| q.expr.as_str()).collect::<Vec<_>>()).await?;
    for (query, result) in queries.iter().zip(results) {
        match result {
            Err(error) => problems.push(format!("{}: {} does not run: {error:#}", query.panel, query.expr)),
            Ok(samples) if !samples.is_empty() => {}
            Ok(_) => {
                let names = promql::metric_names(&query.expr);
                let unknown: Vec<_> = names.iter().filter(|n| !scraped.contains(*n) && !recorded.contains(*n)).collect();
                if unknown.is_empty() {
                    without_data.push(format!("{} ({})", query.panel, names.into_iter().collect::<Vec<_>>().join(", ")));
                } else {
                    problems.push(format!("{}: no data, and {unknown:?} is in no scrape and no recording rule", query.panel));
                }
            }
        }
    }
    let listed = if without_data.is_empty() { "none".to_owned() } else { without_data.join("; ") };
    println!("  {} panel queries after {sent} requests; without data (their metrics are scraped): {listed}", queries.len());
    ensure!(problems.is_empty(), "{}", problems.join("\n"));
    Ok(())
}

/// Every metric name in a live scrape of every active target (samples and HELP/TYPE lines).
async fn scraped_names(m: &Monitoring) -> Result<BTreeSet<String>> {
    let targets = m.prometheus("/api/v1/targets", &[("state", "active")]).await?;
    let urls: Vec<String> = targets["activeTargets"].as_array().into_iter().flatten()
        .filter_map(|t| t["scrapeUrl"].as_str())
        // Prometheus scrapes itself on its own loopback; the test asks from another container.
        .map(|url| url.replace("//localhost:9090/", "//prometheus:9090/"))
        .collect();
    let bodies = m.get_all(&urls).await?;
    let name_of = |line: &str| {
        let line = line.strip_prefix("# HELP ").or_else(|| line.strip_prefix("# TYPE ")).unwrap_or(line);
        line.split(['{', ' ']).next().unwrap_or_default().to_owned()
    };
    Ok(bodies.iter().flat_map(|body| body.lines().map(name_of)).filter(|n| !n.is_empty() && !n.starts_with('#')).collect())
}

async fn recording_rules(m: &Monitoring) -> Result<BTreeSet<String>> {
    let rules = m.prometheus("/api/v1/rules", &[("type", "record")]).await?;
    let groups = rules["groups"].as_array().into_iter().flatten();
    Ok(groups.flat_map(|g| g["rules"].as_array().into_iter().flatten()).filter_map(|r| r["name"].as_str().map(str::to_owned)).collect())
}

pub async fn a_stopped_replica_fires_app_replica_down_and_its_restart_resolves_it(m: &Monitoring) -> Result<()> {
    let active = m.query("ALERTS{alertname=\"AppReplicaDown\"}").await?;
    ensure!(active.is_empty(), "AppReplicaDown is active before any fault: {active:?}");
    let victim = m.stack.replicas("app").await?.remove(0);
    let stopped = now();
    docker(&["stop", &victim.id]).await?;
    let fired = first_notification(m, "AppReplicaDown", "firing", stopped, FIRING_WITHIN).await?;
    ensure!(fired.path == "/default", "AppReplicaDown (a warning) went to {} instead of the default receiver", fired.path);
    let started = now();
    docker(&["start", &victim.id]).await?;
    let resolved = first_notification(m, "AppReplicaDown", "resolved", started, RESOLVED_WITHIN).await?;
    println!("  docker stop {} -> AppReplicaDown firing at the webhook: {:.1} s", victim.name, fired.received - stopped);
    println!("  docker start -> AppReplicaDown resolved at the webhook: {:.1} s", resolved.received - started);
    Ok(())
}

pub async fn the_watchdog_heartbeat_reaches_the_dead_man_receiver(m: &Monitoring) -> Result<()> {
    let heartbeat = first_notification(m, "Watchdog", "firing", 0.0, HEARTBEAT_WITHIN).await?;
    ensure!(heartbeat.path == "/deadman", "Watchdog went to {} instead of the dead-man receiver", heartbeat.path);
    Ok(())
}

/// Waits for the first notification received after `since` that reports `alertname` as `status`.
async fn first_notification(m: &Monitoring, alertname: &str, status: &str, since: f64, within: Duration) -> Result<Notification> {
    let what = format!("a {status} {alertname} notification at the webhook");
    wait::until(&what, within, Duration::from_secs(1), || async {
        match m.notifications().await {
            Ok(all) => {
                let seen = all.len();
                let matches = |n: &Notification| n.received >= since && n.status == status && n.alerts.iter().any(|a| a == alertname);
                let wanted = all.into_iter().find(matches);
                wanted.map_or_else(|| Probe::Pending(format!("{seen} notifications, none matching")), Probe::Ready)
            }
            Err(error) => Probe::Pending(error.to_string()),
        }
    })
    .await
    .context(what)
}

async fn docker(args: &[&str]) -> Result<()> {
    let output = tokio::process::Command::new("docker").args(args).output().await?;
    ensure!(output.status.success(), "docker {} failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr));
    Ok(())
}
