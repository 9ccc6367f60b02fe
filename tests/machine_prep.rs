//! `ci/prepare.sh`: says clearly when Docker is missing, and a second run rebuilds nothing.

mod util;

use std::process::{Command, Output};

use anyhow::Result;
use stackproof::repo;

fn prepare(envs: &[(&str, &str)]) -> Result<Output> {
    let mut command = Command::new("bash");
    command.arg(repo::path("ci/prepare.sh")).env_remove("CI").env_remove("STACKPROOF_REQUIRE_DOCKER");
    Ok(command.envs(envs.iter().copied()).output()?)
}

const NO_ENGINE: (&str, &str) = ("DOCKER_HOST", "unix:///nonexistent/docker.sock");

#[test]
fn without_an_engine_preparation_fails_clearly_where_docker_is_required() -> Result<()> {
    if !util::compose_cli_or_skip("without_an_engine_preparation_fails_clearly_where_docker_is_required") {
        return Ok(());
    }
    let output = prepare(&[NO_ENGINE, ("STACKPROOF_REQUIRE_DOCKER", "1")])?;
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "prepare.sh passed without an engine: {said}");
    assert!(said.contains("no Docker engine answers"), "{said}");
    Ok(())
}

#[test]
fn without_an_engine_preparation_warns_loudly_where_docker_is_optional() -> Result<()> {
    if !util::compose_cli_or_skip("without_an_engine_preparation_warns_loudly_where_docker_is_optional") {
        return Ok(());
    }
    let output = prepare(&[NO_ENGINE])?;
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{said}");
    assert!(said.contains("WARNING") && said.contains("SKIPPED"), "{said}");
    Ok(())
}

#[test]
fn a_second_preparation_is_fully_cached() -> Result<()> {
    require_docker!("a_second_preparation_is_fully_cached");
    assert!(prepare(&[])?.status.success(), "first preparation failed");
    let second = prepare(&[])?;
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success(), "{said}");
    for rebuilt in ["installing", "building", "downloading"] {
        assert!(!said.contains(rebuilt), "second run was not cached ({rebuilt}): {said}");
    }
    Ok(())
}
