//! The dev workflow: `docker compose up` serves the app, reloads on edits, and the app's own
//! test suite passes inside the dev container.

mod util;

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use serde_json::Value;
use stackproof::stack::{Stack, StackSpec};
use stackproof::wait::{self, Probe};
use stackproof::repo;

/// The dev stack on an ephemeral host port, with the app source taken from `app_src`.
async fn boot_dev_stack(label: &str, app_src: &std::path::Path) -> Result<(Stack, String)> {
    let stack = StackSpec::new(label, &[repo::path("compose.yml")])
        .with_env("APP_PORT", "0")
        .with_env("APP_SRC", app_src.to_string_lossy())
        .up()
        .await?;
    let port = stack.host_port("app", 8000).await?;
    Ok((stack, format!("http://127.0.0.1:{port}")))
}

async fn get_json(url: &str) -> Result<(u16, Value)> {
    let response = util::http().get(url).send().await.with_context(|| format!("GET {url}"))?;
    let status = response.status().as_u16();
    Ok((status, response.json().await.with_context(|| format!("GET {url}: body is not JSON"))?))
}

/// The value of `label` on the local image `image`.
fn docker_label(image: &str, label: &str) -> Result<String> {
    let format = format!("{{{{index .Config.Labels {label:?}}}}}");
    let output = std::process::Command::new("docker").args(["image", "inspect", "--format", &format, image]).output()?;
    ensure!(output.status.success(), "docker image inspect {image}: {}", String::from_utf8_lossy(&output.stderr));
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

#[tokio::test]
async fn dev_stack_boots_and_serves_pages_api_health_and_metrics() -> Result<()> {
    require_docker!("dev_stack_boots_and_serves_pages_api_health_and_metrics");
    let (stack, base) = boot_dev_stack("dev-boot", &repo::path("app")).await?;

    let (status, health) = get_json(&format!("{base}/healthz")).await?;
    ensure!(status == 200 && health["status"] == "ok", "/healthz: {status} {health}");

    let (status, ready) = get_json(&format!("{base}/readyz")).await?;
    ensure!(status == 200, "/readyz answered {status}: {ready}");
    for (check, result) in ready["checks"].as_object().context("/readyz has no checks")? {
        ensure!(result["ok"] == true, "/readyz check {check} failed: {result}");
    }

    let (status, lessons) = get_json(&format!("{base}/api/lessons")).await?;
    ensure!(status == 200, "/api/lessons answered {status}");
    ensure!(lessons.to_string().contains("slug"), "/api/lessons lists no lesson: {lessons}");

    let home = util::http().get(format!("{base}/")).send().await?;
    ensure!(home.status() == 200, "/ answered {}", home.status());
    ensure!(home.text().await?.contains("<html"), "/ is not an HTML page");

    let metrics = util::http().get(format!("{base}/metrics")).send().await?.text().await?;
    ensure!(metrics.contains("stockapp_http_requests_total"), "/metrics lacks request counters");

    // Images labelled with a stack's unique project would be new images at every boot,
    // leaving the previous ones dangling on the CI host.
    let label = docker_label("stackproof/app:dev", "com.docker.compose.project")?;
    ensure!(
        label == stackproof::stack::BUILD_PROJECT,
        "stackproof/app:dev was built under project {label:?}, not {:?}: every boot leaves a dangling image",
        stackproof::stack::BUILD_PROJECT
    );

    stack.down().await?;
    Ok(())
}

#[tokio::test]
async fn editing_the_bind_mounted_source_reloads_the_app() -> Result<()> {
    require_docker!("editing_the_bind_mounted_source_reloads_the_app");
    let source = tempfile::tempdir()?;
    util::copy_app_source(&repo::path("app"), source.path())?;
    let (stack, base) = boot_dev_stack("dev-reload", source.path()).await?;

    let (_, before) = get_json(&format!("{base}/healthz")).await?;
    let edited = format!("reload-{}", std::process::id());
    ensure!(before["version"] != edited.as_str(), "version already edited: {before}");
    std::fs::write(source.path().join("stockapp/version.py"), format!("VERSION = \"{edited}\"\n"))?;

    let edited_at = Instant::now();
    let url = format!("{base}/healthz");
    wait::until("the edited version served", Duration::from_secs(45), Duration::from_millis(250), || async {
        match get_json(&url).await {
            Ok((200, body)) if body["version"] == edited.as_str() => Probe::Ready(()),
            Ok((status, body)) => Probe::Pending(format!("{status} {body}")),
            Err(error) => Probe::Pending(format!("{error:#}")),
        }
    })
    .await
    .with_context(|| "the dev server did not reload the edited source")?;
    tracing::info!(elapsed = ?edited_at.elapsed(), "live reload served the edit");

    stack.down().await?;
    Ok(())
}

#[tokio::test]
async fn the_app_test_suite_passes_inside_the_dev_container() -> Result<()> {
    require_docker!("the_app_test_suite_passes_inside_the_dev_container");
    let (stack, _) = boot_dev_stack("dev-pytest", &repo::path("app")).await?;
    let pytest = ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"];
    let outcome = stack.exec("app", &pytest, Duration::from_secs(300)).await;
    stack.down().await?;
    let output = outcome?;
    let summary = output.stdout.lines().last().unwrap_or_default().to_owned();
    ensure!(summary.contains("passed") && !summary.contains("failed"), "pytest: {summary}");
    println!("app pytest: {summary}");
    Ok(())
}
