//! The smoke profile against a freshly booted production stack: every threshold holds and
//! every report is written. And the proof that the thresholds can fail: the same profile
//! against a stack whose app answers each request a quarter second late (gunicorn's config
//! mutated at test time, mounted by an overlay) breaks the latency thresholds, naming them and
//! saying by how much. The smoke suite takes half the machine, and the two runs never overlap.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Result, ensure};
use stackproof::load::attack::{self, Options};
use stackproof::load::report::{self, Summary};
use stackproof::load::{Profile, Target};
use stackproof::prod::BootedSite;
use stackproof::repo;
use stackproof::suite::{CAPACITY, Requirement, Suite};

use crate::trial;

/// What the mutated gunicorn config adds: a pause before every request a worker handles.
const SLOW_REQUESTS: &str = "\n\ndef pre_request(worker, req):\n    import time\n    time.sleep(0.25)\n";

/// A booted site for load, and the files its overlay mounts.
pub struct Load {
    booted: BootedSite,
    _overlay: Option<tempfile::TempDir>,
}

async fn boot(label: &str, slow: bool) -> Result<Load> {
    let dir = if slow { Some(tempfile::tempdir()?) } else { None };
    let overlay = dir.as_ref().map(|d| slow_app_overlay(d.path())).transpose()?;
    let booted = BootedSite::boot(label, |spec, _| match &overlay {
        Some(file) => spec.with_file(file),
        None => spec,
    })
    .await?;
    Ok(Load { booted, _overlay: dir })
}

fn down(load: Load) -> stackproof::suite::BoxFuture<'static, Result<(), String>> {
    Box::pin(async move { load.booted.down().await.map_err(|e| e.to_string()) })
}

/// The two suites, each with the whole machine.
pub fn suites() -> Vec<Suite<Load>> {
    vec![
        Suite::new("load", || Box::pin(async { boot("load-smoke", false).await.map_err(|e| format!("{e:#}")) }), down)
            .requires(Requirement::Docker)
            .weighing(CAPACITY / 2)
            .with(trial!("the-smoke-profile-holds-every-threshold-and-writes-every-report", Load, smoke_holds)),
        Suite::new(
            "load-slow",
            || Box::pin(async { boot("load-slow", true).await.map_err(|e| format!("{e:#}")) }),
            down,
        )
        .requires(Requirement::Docker)
        .weighing(CAPACITY / 4)
        .with(trial!(
            "an-app-answering-late-breaks-the-latency-thresholds-by-a-stated-margin",
            Load,
            slow_breaks
        )),
    ]
}

/// Goose's runs share process-wide state (its stop switch, its logger): one at a time.
static ONE_RUN_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs the smoke profile against the site with reports in `reports`.
async fn smoke(load: &Load, reports: &Path) -> Result<Summary> {
    let _alone = ONE_RUN_AT_A_TIME.lock().await;
    let profile = Profile::load(&repo::path("loadtests/smoke.yml"))?;
    let options = Options { report_dir: Some(reports.to_path_buf()), max_rps: None };
    let summary = attack::measure(&profile, &Target::of(&load.booted.site)?, &options).await?;
    summary.write(reports, None)?;
    println!("  smoke: {}", summary.observed);
    for verdict in &summary.verdicts {
        println!("  {} {}", if verdict.passed { "PASS" } else { "FAIL" }, verdict.message);
    }
    Ok(summary)
}

async fn smoke_holds(load: &Load) -> Result<()> {
    let reports = tempfile::tempdir()?;
    let summary = smoke(load, reports.path()).await?;
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
    ensure!(
        !config.contains("def pre_request"),
        "gunicorn.conf.py has its own pre_request: the mutant would replace it"
    );
    let mutated = dir.join("gunicorn.conf.py");
    std::fs::write(&mutated, config + SLOW_REQUESTS)?;
    std::fs::set_permissions(&mutated, std::fs::Permissions::from_mode(0o644))?;
    let overlay = dir.join("slow-app.yml");
    std::fs::write(
        &overlay,
        format!("services:\n  app:\n    volumes:\n      - {}:/srv/app/gunicorn.conf.py:ro\n", mutated.display()),
    )?;
    Ok(overlay)
}

async fn slow_breaks(load: &Load) -> Result<()> {
    let reports = tempfile::tempdir()?;
    let summary = smoke(load, reports.path()).await?;
    let p95 = summary.verdicts.iter().find(|v| v.threshold == "p95_ms").expect("p95_ms is judged");
    ensure!(!p95.passed, "a quarter second per request went unnoticed: {}", p95.message);
    let limit = summary.thresholds.p95_ms;
    ensure!(p95.message.contains(&format!("is above the limit of {limit} ms by ")), "{}", p95.message);
    ensure!(summary.observed.p95_ms >= 250.0, "the pause did not apply: {}", summary.observed);
    let junit = std::fs::read_to_string(reports.path().join(report::JUNIT))?;
    ensure!(junit.contains("<failure type=\"threshold\" message=\"p95_ms: "), "{junit}");
    Ok(())
}
