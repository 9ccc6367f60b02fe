//! The `Stack` abstraction itself: it must notice every broken service, say which one and
//! why with its logs, and leave nothing behind.

mod util;

use std::time::{Duration, Instant};

use anyhow::Result;
use rstest::rstest;
use stackproof::repo;
use stackproof::stack::{Ready, StackError, StackSpec};
use stackproof::wait::WaitError;

fn broken(profile: &str) -> StackSpec {
    StackSpec::new(profile, &[repo::path("fixtures/stacks/broken/compose.yml")]).with_profile(profile)
}

fn healthy() -> StackSpec {
    StackSpec::new("healthy", &[repo::path("fixtures/stacks/healthy/compose.yml")])
        .with_wait("init", Ready::Completed, Duration::from_secs(30))
}

#[rstest]
#[case::unhealthy_service("sick", "sick", Ready::Healthy, "fixture-sick-marker")]
#[case::failing_one_shot_job("oneshot", "migrate", Ready::Completed, "fixture-oneshot-marker")]
#[tokio::test]
async fn a_broken_service_fails_the_boot_fast_with_its_logs_and_is_torn_down(
    #[case] profile: &str,
    #[case] service: &str,
    #[case] ready: Ready,
    #[case] marker: &str,
) -> Result<()> {
    require_docker!("a_broken_service_fails_the_boot");
    let started = Instant::now();
    let error = broken(profile).with_wait(service, ready, Duration::from_secs(60)).up().await.err();
    let Some(StackError::NotReady { project, source: WaitError::Failed { what, .. }, logs }) = error else {
        panic!("expected a NotReady failure, got {error:?}");
    };
    assert!(what.contains(service), "the error names the service: {what}");
    assert!(logs.contains(marker), "the service's logs are attached: {logs}");
    assert!(started.elapsed() < Duration::from_secs(45), "failure detected without waiting the full timeout");
    let left = util::containers_of(&project);
    assert!(left.is_empty(), "nothing of {project} is left: {left:?}");
    Ok(())
}

#[tokio::test]
async fn a_service_that_never_gets_ready_times_out_at_its_own_deadline() -> Result<()> {
    require_docker!("a_service_that_never_gets_ready_times_out_at_its_own_deadline");
    let spec = broken("idle").with_wait("idle", Ready::Healthy, Duration::from_secs(3));
    let error = spec.up().await.err();
    let Some(StackError::NotReady { source: WaitError::Timeout { what, waited, last }, .. }) = error else {
        panic!("expected a timeout, got {error:?}");
    };
    assert!(what.contains("idle") && last.contains("running"), "{what}: {last}");
    assert!(waited >= Duration::from_secs(3) && waited < Duration::from_secs(10), "{waited:?}");
    Ok(())
}

#[tokio::test]
async fn every_replica_gets_its_own_host_port_and_profiles_select_services() -> Result<()> {
    require_docker!("every_replica_gets_its_own_host_port_and_profiles_select_services");
    let plain = healthy().up().await?;
    let web = plain.replicas("web").await?;
    let ports: std::collections::BTreeSet<_> = web.iter().filter_map(|r| r.host_port(8000)).collect();
    assert_eq!((web.len(), ports.len()), (2, 2), "two replicas, two distinct host ports: {web:?}");
    assert!(plain.replicas("extra").await?.is_empty(), "profile service started without its profile");
    plain.down().await?;

    let with_extra = healthy().with_profile("extra").up().await?;
    assert_eq!(with_extra.replicas("extra").await?.len(), 1);
    with_extra.down().await?;
    Ok(())
}

#[tokio::test]
async fn a_missing_compose_file_is_named_before_docker_is_touched() {
    let error = StackSpec::new("missing", &[repo::path("fixtures/stacks/nope/compose.yml")]).up().await.err();
    assert!(matches!(&error, Some(StackError::MissingFile(p)) if p.ends_with("nope/compose.yml")), "{error:?}");
}

#[test]
fn an_unreachable_engine_is_reported_with_the_reason() {
    if stackproof::docker::compose_cli().is_err() {
        assert!(stackproof::docker::availability().is_err(), "no CLI, yet Docker counts as available");
        return;
    }
    let error = stackproof::docker::engine(Some("unix:///nonexistent/docker.sock")).unwrap_err();
    assert!(error.to_string().contains("/nonexistent/docker.sock"), "{error}");
}
