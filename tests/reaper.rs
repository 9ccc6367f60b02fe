//! Projects left by a killed test run are torn down by the next run. Alone in its binary:
//! the reaper runs once per process, at the first boot, and must be this test's.

mod util;

use std::process::Command;
use std::time::Duration;

use anyhow::{Result, ensure};
use stackproof::repo;
use stackproof::stack::{Ready, StackSpec};
use stackproof::wait::{self, Probe};

#[tokio::test]
async fn a_project_left_by_a_dead_process_is_reaped_by_the_next_boot() -> Result<()> {
    require_docker!("a_project_left_by_a_dead_process_is_reaped_by_the_next_boot");
    // A pid above the kernel's pid_max can never be alive.
    let orphan = "sp99999999-orphan-0";
    let created = Command::new("docker")
        .args(["compose", "--project-name", orphan, "-f"])
        .arg(repo::path("fixtures/stacks/healthy/compose.yml"))
        .args(["up", "-d", "init"])
        .env("BASE_IMAGE", repo::base_image())
        .output()?;
    ensure!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    ensure!(!util::containers_of(orphan).is_empty(), "the orphan was not created");

    let stack = StackSpec::new("reaper", &[repo::path("fixtures/stacks/healthy/compose.yml")])
        .with_wait("init", Ready::Completed, Duration::from_secs(30))
        .up()
        .await?;
    stack.down().await?;
    wait::until("orphan reaped", Duration::from_secs(30), Duration::from_millis(500), || async {
        match util::containers_of(orphan).len() {
            0 => Probe::Ready(()),
            n => Probe::Pending(format!("{n} containers left")),
        }
    })
    .await?;
    Ok(())
}
