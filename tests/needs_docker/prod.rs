//! One production stack (with the monitoring overlay) shared by every read-only check, then the
//! writing ones, the budget spenders, and the disruptive ones last: every edge check, every
//! hardening rule over every container, every live monitoring check, and `stackproof verify`
//! run against it from the outside, passing, and failing once the proxy is stopped.

use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use stackproof::monitoring::live::Overlay;
use stackproof::policy::Project;
use stackproof::prod::BootedSite;
use stackproof::suite::{Phase, Requirement, Suite};

use crate::checks::{self, Booted};
use crate::trial;

/// The shared production stack.
pub struct Prod {
    booted: BootedSite,
    project: Project,
    _overlay: Overlay,
}

impl checks::Inspected for Prod {
    fn stack(&self) -> &stackproof::stack::Stack {
        &self.booted.stack
    }

    fn project(&self) -> &Project {
        &self.project
    }
}

impl Booted for Prod {
    fn booted(&self) -> &BootedSite {
        &self.booted
    }
}

async fn boot() -> Result<Prod, String> {
    let overlay = Overlay::write(stackproof::repo::root()).map_err(|e| e.to_string())?;
    let booted =
        BootedSite::boot("prod", |spec, ca| overlay.apply(spec, &ca.ca_pem())).await.map_err(|e| e.to_string())?;
    let ca = booted.ca.ca_pem().to_string_lossy().into_owned();
    let project = checks::project_of(
        &["compose.prod.yml", "fixtures/monitoring/compose.yml"],
        &[("MONITORING_CA_PEM", ca.clone()), ("MONITORING_PROMETHEUS_YML", ca)],
    )
    .await?;
    Ok(Prod { booted, project, _overlay: overlay })
}

/// The suite.
pub fn suite() -> Suite<Prod> {
    let suite = Suite::new(
        "prod",
        || Box::pin(boot()),
        |prod: Prod| Box::pin(async move { prod.booted.down().await.map_err(|e| e.to_string()) }),
    )
    .requires(Requirement::Docker)
    .weighing(2);
    // The alert check first among the disruptive ones, while no replica has been stopped yet (a
    // pending AppReplicaDown would still show); the other monitoring checks after the edge's
    // reads, by when Prometheus has scraped long enough for the first heartbeat.
    let (disrupting, reading): (Vec<_>, Vec<_>) =
        stackproof::monitoring::live::ALL.iter().partition(|c| c.run.disrupts);
    suite
        .with_all(disrupting.into_iter().map(checks::live_trial))
        .with_all(checks::edge_trials())
        .with_all(checks::browser_trials())
        .with_all(reading.into_iter().map(checks::live_trial))
        .with_all(checks::hardening_trials())
        .with(trial!("verify::passes-against-the-booted-site", Prod, verify_passes))
        .with(trial!("verify::fails-against-a-stopped-proxy", Prod, verify_fails_when_stopped).in_phase(Phase::Disrupt))
}

/// `stackproof verify` against the booted site, as an operator runs it after a release.
fn verify(prod: &Prod, reports: &std::path::Path) -> Result<std::process::Output> {
    let site = &prod.booted.site;
    let base = format!("https://127.0.0.1:{}", site.https_addr().port());
    let http = format!("http://127.0.0.1:{}", site.http_addr().port());
    let ca = prod.booted.ca.ca_pem();
    Ok(Command::new(env!("CARGO_BIN_EXE_stackproof"))
        .args(["verify", "--base-url", &base, "--http-url", &http, "--server-name", site.server_name()])
        .arg("--ca")
        .arg(&ca)
        .arg("--junit")
        .arg(reports.join("verify.xml"))
        .arg("--sarif")
        .arg(reports.join("verify.sarif"))
        .output()?)
}

async fn verify_passes(prod: &Prod) -> Result<()> {
    let reports = tempfile::tempdir()?;
    let output = verify(prod, reports.path())?;
    let said = String::from_utf8_lossy(&output.stdout).into_owned();
    ensure!(
        output.status.code() == Some(0),
        "verify exited {:?}:\n{said}{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    let reads = stackproof::edge::in_run_order(|n| n == stackproof::edge::Needs::Read).len();
    let skipped = stackproof::edge::ALL.len() - reads;
    ensure!(said.ends_with(&format!("no findings: all {reads} checks pass; {skipped} skipped\n")), "{said}");
    ensure!(
        said.contains("SKIPPED [SP420 state-changes-without-a-csrf-token-are-refused]: it changes state"),
        "the write checks are not skipped with why:\n{said}"
    );
    let junit = std::fs::read_to_string(reports.path().join("verify.xml"))?;
    ensure!(junit.contains(&format!("tests=\"{}\" failures=\"0\"", stackproof::edge::ALL.len())), "{junit}");
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reports.path().join("verify.sarif"))?)?;
    ensure!(sarif["runs"][0]["results"].as_array().is_some_and(Vec::is_empty), "{sarif}");
    Ok(())
}

async fn verify_fails_when_stopped(prod: &Prod) -> Result<()> {
    let stack = &prod.booted.stack;
    let proxy = stack.replicas("proxy").await?.into_iter().next().context("no proxy")?;
    stack.docker(&["stop", &proxy.id], Duration::from_secs(60)).await?;
    let reports = tempfile::tempdir()?;
    let outcome = verify(prod, reports.path());
    stack.docker(&["start", &proxy.id], Duration::from_secs(60)).await?;
    checks::wait_until_healthy(stack).await.map_err(anyhow::Error::msg)?;
    let output = outcome?;
    let said = String::from_utf8_lossy(&output.stdout).into_owned();
    ensure!(output.status.code() == Some(1), "verify of a stopped proxy exited {:?}:\n{said}", output.status.code());
    let reads = stackproof::edge::in_run_order(|n| n == stackproof::edge::Needs::Read);
    for check in reads {
        ensure!(
            said.contains(&format!("[{}]", check.label())),
            "{} did not fail on a stopped proxy:\n{said}",
            check.label()
        );
    }
    ensure!(
        said.contains("unreachable") || said.contains("Connection refused"),
        "the findings do not say the site is unreachable:\n{said}"
    );
    Ok(())
}
