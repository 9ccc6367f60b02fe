//! The dev workflow: `docker compose up` serves the app, its images are built under the fixed
//! build project, the app's own test suite passes inside the dev container, and an edit of the
//! bind-mounted source reloads the app.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use serde_json::Value;
use stackproof::repo;
use stackproof::stack::{Stack, StackSpec};
use stackproof::suite::{Requirement, Suite};
use stackproof::wait::{self, Probe};

use crate::trial;

/// A dev stack on an ephemeral host port, and the URL it serves.
pub struct Dev {
    stack: Stack,
    base: String,
    source: Option<tempfile::TempDir>,
}

async fn boot(label: &str, copy_source: bool) -> Result<Dev, String> {
    let source = if copy_source {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        crate::common::copy_app_source(&repo::path("app"), dir.path()).map_err(|e| e.to_string())?;
        Some(dir)
    } else {
        None
    };
    let src = source.as_ref().map_or_else(|| repo::path("app"), |d| d.path().to_path_buf());
    let stack = StackSpec::new(label, &[repo::path("compose.yml")])
        .with_env("APP_PORT", "0")
        .with_env("APP_SRC", src.to_string_lossy())
        .up()
        .await
        .map_err(|e| e.to_string())?;
    let port = stack.host_port("app", 8000).await.map_err(|e| e.to_string())?;
    Ok(Dev { stack, base: format!("http://127.0.0.1:{port}"), source })
}

fn down(dev: Dev) -> stackproof::suite::BoxFuture<'static, Result<(), String>> {
    Box::pin(async move { dev.stack.down().await.map_err(|e| e.to_string()) })
}

/// The dev stack as the README starts it, and a second one whose source a test edits.
pub fn suites() -> Vec<Suite<Dev>> {
    vec![
        Suite::new("dev", || Box::pin(boot("dev", false)), down)
            .requires(Requirement::Docker)
            .with(trial!("the-dev-stack-serves-pages-api-health-and-metrics", Dev, serves))
            .with(trial!("the-app-test-suite-passes-inside-the-dev-container", Dev, pytest)),
        Suite::new("dev-reload", || Box::pin(boot("dev-reload", true)), down)
            .requires(Requirement::Docker)
            .with(trial!("editing-the-bind-mounted-source-reloads-the-app", Dev, reloads)),
    ]
}

async fn get_json(url: &str) -> Result<(u16, Value)> {
    let response = reqwest::get(url).await.with_context(|| format!("GET {url}"))?;
    let status = response.status().as_u16();
    Ok((status, response.json().await.with_context(|| format!("GET {url}: body is not JSON"))?))
}

async fn serves(dev: &Dev) -> Result<()> {
    let base = &dev.base;
    let (status, health) = get_json(&format!("{base}/healthz")).await?;
    ensure!(status == 200 && health["status"] == "ok", "/healthz: {status} {health}");
    let (status, ready) = get_json(&format!("{base}/readyz")).await?;
    ensure!(status == 200, "/readyz answered {status}: {ready}");
    for (check, result) in ready["checks"].as_object().context("/readyz has no checks")? {
        ensure!(result["ok"] == true, "/readyz check {check} failed: {result}");
    }
    let (status, lessons) = get_json(&format!("{base}/api/lessons")).await?;
    ensure!(status == 200 && lessons.to_string().contains("slug"), "/api/lessons answered {status}: {lessons}");
    let home = reqwest::get(format!("{base}/")).await?;
    ensure!(home.status() == 200, "/ answered {}", home.status());
    ensure!(home.text().await?.contains("<html"), "/ is not an HTML page");
    let metrics = reqwest::get(format!("{base}/metrics")).await?.text().await?;
    ensure!(metrics.contains("stockapp_http_requests_total"), "/metrics lacks request counters");
    // Images labelled with a stack's unique project would be new images at every boot, leaving
    // the previous ones dangling on the CI host.
    let format = "{{index .Config.Labels \"com.docker.compose.project\"}}";
    let label = dev
        .stack
        .docker(&["image", "inspect", "--format", format, "stackproof/app:dev"], Duration::from_secs(30))
        .await?
        .stdout;
    ensure!(
        label.trim() == stackproof::stack::BUILD_PROJECT,
        "stackproof/app:dev was built under project {label:?}, not {:?}",
        stackproof::stack::BUILD_PROJECT
    );
    Ok(())
}

async fn pytest(dev: &Dev) -> Result<()> {
    let pytest = ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"];
    let output = dev.stack.exec("app", &pytest, Duration::from_secs(300)).await?;
    let summary = output.stdout.lines().last().unwrap_or_default().to_owned();
    ensure!(summary.contains("passed") && !summary.contains("failed"), "pytest: {summary}");
    println!("  app pytest: {summary}");
    Ok(())
}

async fn reloads(dev: &Dev) -> Result<()> {
    let source: &Path = dev.source.as_ref().context("no source copy")?.path();
    let url = format!("{}/healthz", dev.base);
    let (_, before) = get_json(&url).await?;
    let edited = format!("reload-{}", std::process::id());
    ensure!(before["version"] != edited.as_str(), "version already edited: {before}");
    let file = source.join("stockapp/version.py");
    let text = std::fs::read_to_string(&file)?;
    let stamped: Vec<String> = text
        .lines()
        .map(|line| if line.starts_with("VERSION = ") { format!("VERSION = \"{edited}\"") } else { line.to_owned() })
        .collect();
    ensure!(stamped.join("\n") != text.trim_end(), "stockapp/version.py has no `VERSION = ` line to edit");
    std::fs::write(&file, stamped.join("\n") + "\n")?;
    let edited_at = Instant::now();
    wait::until("the edited version served", Duration::from_secs(45), Duration::from_millis(250), || async {
        match get_json(&url).await {
            Ok((200, body)) if body["version"] == edited.as_str() => Probe::Ready(()),
            Ok((status, body)) => Probe::Pending(format!("{status} {body}")),
            Err(error) => Probe::Pending(format!("{error:#}")),
        }
    })
    .await
    .context("the dev server did not reload the edited source")?;
    println!("  the edit was served {:.1} s after it was saved", edited_at.elapsed().as_secs_f64());
    Ok(())
}
