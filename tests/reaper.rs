//! Projects left by a killed test run are torn down by the next run. Alone in its binary:
//! the reaper runs once per process, at the first boot, and must be this test's.

mod util;

use std::process::Command;
use std::time::Duration;

use anyhow::{Result, ensure};
use stackproof::repo;
use stackproof::stack::{Ready, StackSpec};
use stackproof::wait::{self, Probe};

fn containers_of(project: &str) -> usize {
    let output = Command::new("docker")
        .args(["ps", "-aq", "--filter", &format!("label=com.docker.compose.project={project}")])
        .output()
        .expect("docker ps runs");
    String::from_utf8_lossy(&output.stdout).lines().count()
}

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
    ensure!(containers_of(orphan) > 0, "the orphan was not created");

    let stack = StackSpec::new("reaper", &[repo::path("fixtures/stacks/healthy/compose.yml")])
        .with_wait("init", Ready::Completed, Duration::from_secs(30))
        .up()
        .await?;
    stack.down().await?;
    wait::until("orphan reaped", Duration::from_secs(30), Duration::from_millis(500), || async {
        match containers_of(orphan) {
            0 => Probe::Ready(()),
            n => Probe::Pending(format!("{n} containers left")),
        }
    })
    .await?;
    Ok(())
}
