//! `ci/prepare.sh`: says clearly when Docker is missing (fails where it is required, warns
//! loudly where it is not), and a second run rebuilds nothing.

use std::time::Duration;

use anyhow::{Result, ensure};
use stackproof::command::{self, Finished};
use stackproof::repo;
use stackproof::suite::{Requirement, Suite};
use tokio::process::Command;

use crate::trial;

const NO_ENGINE: (&str, &str) = ("DOCKER_HOST", "unix:///nonexistent/docker.sock");

async fn prepare(envs: &[(&str, &str)]) -> Result<Finished> {
    let mut script = Command::new("bash");
    script
        .arg(repo::path("ci/prepare.sh"))
        .env_remove("CI")
        .env_remove("STACKPROOF_REQUIRE_DOCKER")
        .envs(envs.iter().copied());
    Ok(command::run_unchecked(script, Duration::from_secs(900)).await?)
}

/// The suite.
pub fn suite() -> Suite<()> {
    Suite::plain("machine-prep")
        .requires(Requirement::Docker)
        .with(trial!("without-an-engine-preparation-fails-clearly-where-docker-is-required", (), fails_where_required))
        .with(trial!("without-an-engine-preparation-warns-loudly-where-docker-is-optional", (), warns_where_optional))
        .with(trial!("a-second-preparation-is-fully-cached", (), cached))
}

async fn fails_where_required(_: &()) -> Result<()> {
    let output = prepare(&[NO_ENGINE, ("STACKPROOF_REQUIRE_DOCKER", "yes")]).await?;
    ensure!(!output.success, "prepare.sh passed without an engine: {}", output.stderr);
    ensure!(output.stderr.contains("no Docker engine answers"), "{}", output.stderr);
    Ok(())
}

async fn warns_where_optional(_: &()) -> Result<()> {
    let output = prepare(&[NO_ENGINE]).await?;
    ensure!(output.success, "{}", output.stderr);
    ensure!(output.stderr.contains("WARNING") && output.stderr.contains("SKIPPED"), "{}", output.stderr);
    let nonsense = prepare(&[NO_ENGINE, ("CI", "maybe")]).await?;
    ensure!(
        !nonsense.success && nonsense.stderr.contains("CI=maybe"),
        "an unreadable CI value was not refused: {}",
        nonsense.stderr
    );
    Ok(())
}

async fn cached(_: &()) -> Result<()> {
    ensure!(prepare(&[]).await?.success, "the first preparation failed");
    let second = prepare(&[]).await?;
    ensure!(second.success, "{}", second.stderr);
    for rebuilt in ["installing", "building", "downloading"] {
        ensure!(!second.stderr.contains(rebuilt), "the second run was not cached ({rebuilt}): {}", second.stderr);
    }
    Ok(())
}
