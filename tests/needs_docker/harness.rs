//! The harness's own stack handling: it notices every broken service (which one, why, with its
//! logs), waits for each service to its own deadline, finds every replica's ports and the
//! profiles' services, names a missing compose file before touching Docker, says why an engine
//! is unreachable, and leaves nothing behind: torn down on Ctrl-C, and what a killed run left
//! is reaped by the next one.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use stackproof::repo;
use stackproof::stack::{self, Ready, StackError, StackSpec};
use stackproof::suite::{Requirement, Suite};
use stackproof::wait::{self, Probe, WaitError};

use crate::trial;

/// Set in the child process the Ctrl-C trial starts: it boots a stack and waits for its signal.
pub const CHILD: &str = "STACKPROOF_TEARDOWN_CHILD";
const CHILD_MARKER: &str = "STACK_UP ";

fn broken(profile: &str) -> StackSpec {
    StackSpec::new(profile, &[repo::path("fixtures/stacks/broken/compose.yml")]).with_profile(profile)
}

fn healthy(label: &str) -> StackSpec {
    StackSpec::new(label, &[repo::path("fixtures/stacks/healthy/compose.yml")]).with_wait(
        "init",
        Ready::Completed,
        Duration::from_secs(30),
    )
}

/// The suite (no context: each trial boots what it needs).
pub fn suite() -> Suite<()> {
    Suite::plain("harness")
        .requires(Requirement::Docker)
        .with(trial!("an-unhealthy-service-fails-the-boot-fast-with-its-logs", (), unhealthy_fails_fast))
        .with(trial!("a-failing-one-shot-job-fails-the-boot-fast-with-its-logs", (), failing_one_shot_fails_fast))
        .with(trial!("a-service-that-never-gets-ready-times-out-at-its-own-deadline", (), times_out_at_its_deadline))
        .with(trial!("every-replica-gets-its-own-host-port-and-profiles-select-services", (), replicas_and_profiles))
        .with(trial!("a-missing-compose-file-is-named-before-docker-is-touched", (), missing_file_named))
        .with(trial!("an-unreachable-engine-is-reported-with-the-reason", (), unreachable_engine))
        .with(trial!("ctrl-c-tears-the-running-stack-down", (), ctrl_c_tears_down))
        .with(trial!("a-project-left-by-a-dead-process-is-reaped", (), orphans_reaped))
}

async fn broken_fails_fast(profile: &str, service: &str, ready: Ready, marker: &str) -> Result<()> {
    let started = Instant::now();
    let error = broken(profile).with_wait(service, ready, Duration::from_secs(60)).up().await.err();
    let Some(StackError::NotReady { project, source: WaitError::Failed { what, .. }, logs }) = error else {
        bail!("expected a NotReady failure, got {error:?}");
    };
    ensure!(what.contains(service), "the error does not name the service: {what}");
    ensure!(logs.contains(marker), "the service's logs are not attached: {logs}");
    ensure!(started.elapsed() < Duration::from_secs(45), "the failure was not detected before the timeout");
    let left = stack::containers_of(&project).map_err(anyhow::Error::msg)?;
    ensure!(left.is_empty(), "{project} left containers: {left:?}");
    Ok(())
}

async fn unhealthy_fails_fast(_: &()) -> Result<()> {
    broken_fails_fast("sick", "sick", Ready::Healthy, "fixture-sick-marker").await
}

async fn failing_one_shot_fails_fast(_: &()) -> Result<()> {
    broken_fails_fast("oneshot", "migrate", Ready::Completed, "fixture-oneshot-marker").await
}

async fn times_out_at_its_deadline(_: &()) -> Result<()> {
    let error = broken("idle").with_wait("idle", Ready::Healthy, Duration::from_secs(3)).up().await.err();
    let Some(StackError::NotReady { source: WaitError::Timeout { what, waited, last }, .. }) = error else {
        bail!("expected a timeout, got {error:?}");
    };
    ensure!(what.contains("idle") && last.contains("running"), "{what}: {last}");
    ensure!(waited >= Duration::from_secs(3) && waited < Duration::from_secs(10), "{waited:?}");
    Ok(())
}

async fn replicas_and_profiles(_: &()) -> Result<()> {
    let plain = healthy("healthy").up().await?;
    let web = plain.replicas("web").await?;
    let ports: std::collections::BTreeSet<_> = web.iter().filter_map(|r| r.host_port(8000)).collect();
    ensure!((web.len(), ports.len()) == (2, 2), "two replicas, two distinct host ports: {web:?}");
    ensure!(plain.replicas("extra").await?.is_empty(), "a profile's service started without its profile");
    plain.down().await?;
    let with_extra = healthy("healthy").with_profile("extra").up().await?;
    ensure!(with_extra.replicas("extra").await?.len() == 1, "the profile's service did not start with it");
    with_extra.down().await?;
    Ok(())
}

async fn missing_file_named(_: &()) -> Result<()> {
    let error = StackSpec::new("missing", &[repo::path("fixtures/stacks/nope/compose.yml")]).up().await.err();
    ensure!(matches!(&error, Some(StackError::MissingFile(p)) if p.ends_with("nope/compose.yml")), "{error:?}");
    Ok(())
}

async fn unreachable_engine(_: &()) -> Result<()> {
    let error = stackproof::docker::engine(Some("unix:///nonexistent/docker.sock"))
        .err()
        .context("an engine answered at a path that does not exist")?;
    ensure!(error.to_string().contains("/nonexistent/docker.sock"), "{error}");
    Ok(())
}

/// Run in the child process (see [`CHILD`]): boots a stack, says so, and waits for SIGINT.
pub fn child() -> ! {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let outcome: Result<()> = runtime.block_on(async {
        let stack = healthy("teardown").up().await?;
        println!("{CHILD_MARKER}{}", stack.project());
        tokio::time::sleep(Duration::from_secs(120)).await;
        bail!("no signal arrived")
    });
    eprintln!("{outcome:?}");
    std::process::exit(1)
}

async fn ctrl_c_tears_down(_: &()) -> Result<()> {
    let mut child = Command::new(std::env::current_exe()?)
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let stdout = child.stdout.take().context("child stdout")?;
    let project = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|line| line.strip_prefix(CHILD_MARKER).map(str::to_owned))
    })
    .await?
    .context("the child never reported its stack up")?;
    ensure!(
        !stack::containers_of(&project).map_err(anyhow::Error::msg)?.is_empty(),
        "the child's stack {project} is not running"
    );
    let sent = Command::new("kill").args(["-INT", &child.id().to_string()]).status()?;
    ensure!(sent.success(), "could not signal the child");
    let status = tokio::task::spawn_blocking(move || child.wait()).await??;
    ensure!(status.code() == Some(130), "the child exits 130 after teardown, got {status}");
    ensure!(
        stack::containers_of(&project).map_err(anyhow::Error::msg)?.is_empty(),
        "Ctrl-C left containers of {project}"
    );
    Ok(())
}

async fn orphans_reaped(_: &()) -> Result<()> {
    // A pid above the kernel's pid_max can never be alive.
    let orphan = "sp99999999-orphan-0";
    let mut created = tokio::process::Command::new("docker");
    created
        .args(["compose", "--project-name", orphan, "-f"])
        .arg(repo::path("fixtures/stacks/healthy/compose.yml"))
        .args(["up", "-d", "init"])
        .env("BASE_IMAGE", repo::base_image());
    stackproof::command::run(created, Duration::from_secs(120)).await?;
    ensure!(!stack::containers_of(orphan).map_err(anyhow::Error::msg)?.is_empty(), "the orphan was not created");
    let reaped = tokio::task::spawn_blocking(stack::reap_orphans_now).await?.map_err(anyhow::Error::msg)?;
    ensure!(reaped.iter().any(|r| r.contains(orphan)), "the reaper did not name the orphan: {reaped:?}");
    wait::until("orphan reaped", Duration::from_secs(30), Duration::from_millis(500), || async {
        match stack::containers_of(orphan) {
            Ok(left) if left.is_empty() => Probe::Ready(()),
            Ok(left) => Probe::Pending(format!("{} containers left", left.len())),
            Err(e) => Probe::Pending(e),
        }
    })
    .await?;
    Ok(())
}
