//! The smoke profile against a freshly booted production stack: every threshold holds and
//! every report is written. And the proof that the thresholds can fail: the same profile
//! against a stack whose app answers each request a quarter second late (gunicorn's config
//! mutated at test time, mounted by an overlay) breaks the latency thresholds, naming them and
//! saying by how much. One stack and one load at a time: two at once would slow each other.

mod util;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Result, ensure};
use stackproof::load::attack::{self, Options};
use stackproof::load::report::{self, Summary};
use stackproof::load::site::Site;
use stackproof::load::Profile;
use stackproof::stack::StackSpec;
use stackproof::{prod, repo};

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What the mutated gunicorn config adds: a pause before every request a worker handles.
const SLOW_REQUESTS: &str = "\n\ndef pre_request(worker, req):\n    import time\n    time.sleep(0.25)\n";

/// Boots `spec`, runs the smoke profile against it with reports in `reports`, tears it down.
async fn smoke(spec: StackSpec, reports: &Path) -> Result<Summary> {
    let _alone = ONE_AT_A_TIME.lock().await;
    let profile = Profile::load(&repo::path("loadtests/smoke.yml"))?;
    let site = Site::boot(spec).await?;
    let options = Options { report_dir: Some(reports.to_path_buf()), max_rps: None };
    let outcome = attack::measure(&profile, &site.target, &options).await;
    site.down().await?;
    let summary = outcome?;
    summary.write(reports, None)?;
    println!("smoke: {}", summary.observed);
    for verdict in &summary.verdicts {
        println!("{} {}", if verdict.passed { "PASS" } else { "FAIL" }, verdict.message);
    }
    Ok(summary)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_smoke_profile_holds_every_threshold_and_writes_every_report() -> Result<()> {
    require_docker!("the_smoke_profile_holds_every_threshold_and_writes_every_report");
    let reports = tempfile::tempdir()?;
    let secrets = prod::Secrets::generate()?;
    let summary = smoke(prod::spec("load-smoke", &secrets), reports.path()).await?;
    let breaches: Vec<&str> = summary.breaches().map(|v| v.message.as_str()).collect();
    ensure!(breaches.is_empty(), "the smoke run broke its thresholds:\n{}", breaches.join("\n"));
    for name in report::GOOSE_REPORTS.iter().chain(&[report::SUMMARY, report::JUNIT]) {
        let file = reports.path().join(name);
        ensure!(file.metadata().is_ok_and(|m| m.len() > 0), "{name} was not written");
    }
    let junit = std::fs::read_to_string(reports.path().join(report::JUNIT))?;
    ensure!(junit.contains("tests=\"4\" failures=\"0\""), "{junit}");
    let html = std::fs::read_to_string(reports.path().join("report.html"))?;
    ensure!(html.contains("/lessons/{slug}"), "Goose's report does not list the lesson route");
    Ok(())
}

/// Writes gunicorn's config with [`SLOW_REQUESTS`] added into `dir`; returns a compose overlay
/// mounting it into every app replica.
fn slow_app_overlay(dir: &Path) -> Result<PathBuf> {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
    let config = std::fs::read_to_string(repo::path("app/gunicorn.conf.py"))?;
    ensure!(!config.contains("def pre_request"), "gunicorn.conf.py has its own pre_request: the mutant would replace it");
    let mutated = dir.join("gunicorn.conf.py");
    std::fs::write(&mutated, config + SLOW_REQUESTS)?;
    std::fs::set_permissions(&mutated, std::fs::Permissions::from_mode(0o644))?;
    let overlay = dir.join("slow-app.yml");
    let mount = format!("services:\n  app:\n    volumes:\n      - {}:/srv/app/gunicorn.conf.py:ro\n", mutated.display());
    std::fs::write(&overlay, mount)?;
    Ok(overlay)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_app_answering_late_breaks_the_latency_thresholds_by_a_stated_margin() -> Result<()> {
    require_docker!("an_app_answering_late_breaks_the_latency_thresholds_by_a_stated_margin");
    let (dir, reports) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let secrets = prod::Secrets::generate()?;
    let spec = prod::spec("load-slow", &secrets).with_file(slow_app_overlay(dir.path())?);
    let summary = smoke(spec, reports.path()).await?;
    let p95 = summary.verdicts.iter().find(|v| v.threshold == "p95_ms").expect("p95_ms is judged");
    ensure!(!p95.passed, "a quarter second per request went unnoticed: {}", p95.message);
    let limit = summary.thresholds.p95_ms;
    ensure!(p95.message.contains(&format!("is above the limit of {limit} ms by ")), "{}", p95.message);
    ensure!(summary.observed.p95_ms >= 250.0, "the pause did not apply: {}", summary.observed);
    let junit = std::fs::read_to_string(reports.path().join(report::JUNIT))?;
    ensure!(junit.contains("<failure type=\"threshold\" message=\"p95_ms: "), "{junit}");
    Ok(())
}
