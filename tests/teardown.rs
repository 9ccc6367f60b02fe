//! Stacks never outlive the test run: Ctrl-C tears down what is running.

mod util;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use stackproof::repo;
use stackproof::stack::{Ready, StackSpec};

const CHILD_MARKER: &str = "STACK_UP ";

fn healthy() -> StackSpec {
    StackSpec::new("teardown", &[repo::path("fixtures/stacks/healthy/compose.yml")])
        .with_wait("init", Ready::Completed, Duration::from_secs(30))
}

/// Run by `ctrl_c_tears_the_running_stack_down` in a child process, never on its own.
#[tokio::test]
#[ignore = "helper: runs in a child process that receives SIGINT"]
async fn child_boots_a_stack_and_waits_for_a_signal() -> Result<()> {
    let stack = healthy().up().await?;
    println!("{CHILD_MARKER}{}", stack.project());
    tokio::time::sleep(Duration::from_secs(120)).await;
    bail!("no signal arrived")
}

#[tokio::test]
async fn ctrl_c_tears_the_running_stack_down() -> Result<()> {
    require_docker!("ctrl_c_tears_the_running_stack_down");
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--ignored", "--exact", "child_boots_a_stack_and_waits_for_a_signal", "--nocapture"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let stdout = child.stdout.take().context("child stdout")?;
    let project = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| line.strip_prefix(CHILD_MARKER).map(str::to_owned))
        .context("the child never reported its stack up")?;
    ensure!(!util::containers_of(&project).is_empty(), "the child's stack {project} is not running");

    let sent = Command::new("kill").args(["-INT", &child.id().to_string()]).status()?;
    ensure!(sent.success(), "could not signal the child");
    let status = child.wait()?;
    ensure!(status.code() == Some(130), "the child exits 130 after teardown, got {status}");
    ensure!(util::containers_of(&project).is_empty(), "Ctrl-C left containers of {project}");
    Ok(())
}
