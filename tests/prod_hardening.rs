//! Every container of the production stack runs hardened: non-root numeric user, read-only
//! root filesystem, all capabilities dropped, no privilege escalation, CPU/memory/pids limits,
//! rotated logs, a restart policy and a healthcheck, no Docker socket, and no published port
//! beyond what its service is allowed.

mod util;

use std::time::Duration;

use anyhow::Result;
use stackproof::hardening::{self, Allowance};
use stackproof::stack::{Ready, StackSpec};
use stackproof::{prod, repo};

#[tokio::test]
async fn every_production_container_is_hardened() -> Result<()> {
    require_docker!("every_production_container_is_hardened");
    let secrets = prod::Secrets::generate()?;
    let stack = prod::spec("prod-hardening", &secrets).up().await?;
    let containers = stack.containers().await?;
    assert!(stack.replicas("app").await?.len() >= 2, "the app runs at least two replicas");
    let mut problems = Vec::new();
    for container in &containers {
        let facts = hardening::inspect(&container.id).await?;
        for violation in hardening::violations(&facts, &prod::allowance(&container.service)) {
            problems.push(format!("{}: {violation}", container.name));
        }
    }
    stack.down().await?;
    assert!(problems.is_empty(), "hardening violations:\n{}", problems.join("\n"));
    Ok(())
}

#[tokio::test]
async fn an_unhardened_container_is_caught_on_every_count() -> Result<()> {
    require_docker!("an_unhardened_container_is_caught_on_every_count");
    let stack = StackSpec::new("unhardened", &[repo::path("fixtures/stacks/unhardened/compose.yml")])
        .with_wait("lax", Ready::Running, Duration::from_secs(30))
        .up()
        .await?;
    let lax = stack.replicas("lax").await?.remove(0);
    let facts = hardening::inspect(&lax.id).await?;
    stack.down().await?;
    let found = hardening::violations(&facts, &Allowance::default()).join("\n");
    for expected in [
        "not a numeric non-root uid", "root filesystem is writable", "does not drop ALL",
        "no-new-privileges", "no memory limit", "no CPU limit", "no pids limit",
        "not rotated", "no restart policy", "no healthcheck", "Docker socket", "publishes port 9999",
    ] {
        assert!(found.contains(expected), "missed {expected:?}; found:\n{found}");
    }
    Ok(())
}
