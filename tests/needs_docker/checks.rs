//! The registered checks as trials over a booted stack: each edge, hardening and live monitoring
//! check is its own test, named `SPnnn-name`, in the phase its needs put it in.

use std::time::Duration;

use stackproof::check::Finding;
use stackproof::edge::{self, EdgeCheck, Needs, Target};
use stackproof::hardening::{self, Container};
use stackproof::monitoring::{
    self,
    live::{LiveCheck, Monitoring},
};
use stackproof::policy::{Project, ProjectOptions};
use stackproof::prod::BootedSite;
use stackproof::repo;
use stackproof::stack::Stack;
use stackproof::suite::{Phase, Trial};

/// Days the test CA's certificate must still have (the expiry alert warns at 14).
pub const MIN_DAYS_LEFT: i64 = 14;

/// What a hardening trial needs of its suite's context: the stack, and the compose project it
/// was started from (for the services' allowances).
pub trait Inspected: Send + Sync + 'static {
    /// The stack.
    fn stack(&self) -> &Stack;
    /// The compose project the stack was started from.
    fn project(&self) -> &Project;
}

/// What an edge or monitoring trial needs: a production site the harness booted.
pub trait Booted: Inspected {
    /// The booted site.
    fn booted(&self) -> &BootedSite;
    /// The tree its images and configuration came from.
    fn root(&self) -> &std::path::Path {
        repo::root()
    }
}

/// `SP400-tls-1-0-and-1-1-are-refused`.
pub fn label(meta: &stackproof::check::Meta) -> String {
    format!("{}-{}", meta.id, meta.name)
}

/// Findings as a trial's outcome: none is a pass; each found is a line with its fix.
pub fn outcome(findings: Vec<Finding>) -> Result<(), String> {
    if findings.is_empty() {
        return Ok(());
    }
    Err(findings.iter().map(|f| format!("{f}\n    fix: {}", f.fix())).collect::<Vec<_>>().join("\n"))
}

/// The trial of edge check `check`.
pub fn edge_trial<C: Booted>(check: &'static EdgeCheck) -> Trial<C> {
    let phase = match (check.run.needs, check.run.exhausts) {
        (Needs::Disrupt, _) => Phase::Disrupt,
        (_, true) => Phase::Exhaust,
        (Needs::Write, false) => Phase::Write,
        _ => Phase::Read,
    };
    Trial::new(
        label(check),
        Box::new(move |context: &C| {
            Box::pin(async move {
                let booted = context.booted();
                let target = Target { site: &booted.site, stack: Some(&booted.stack), min_days_left: MIN_DAYS_LEFT };
                outcome(edge::run(check, &target).await)
            })
        }),
    )
    .in_phase(phase)
}

/// Every edge check's trial.
pub fn edge_trials<C: Booted>() -> Vec<Trial<C>> {
    edge::ALL.iter().map(|check| edge_trial(check)).collect()
}

/// Every browser check's trial, each needing Chromium (skipped with why where it is missing).
pub fn browser_trials<C: Booted>() -> Vec<Trial<C>> {
    stackproof::browser::ALL
        .iter()
        .map(|check| edge_trial(check).requires(stackproof::browser::requirement()))
        .collect()
}

/// Every container of `stack`, inspected, with its service's allowance from `project`.
pub async fn containers(stack: &Stack, project: &Project) -> Result<Vec<Container>, String> {
    let ids: Vec<String> = stack.containers().await.map_err(|e| e.to_string())?.into_iter().map(|r| r.id).collect();
    hardening::inspect_all(&ids, project).await.map_err(|e| e.to_string())
}

/// Every hardening rule's trial over every container of the stack, and the control: every
/// service the project starts has a container inspected.
pub fn hardening_trials<C: Inspected>() -> Vec<Trial<C>> {
    let mut trials: Vec<Trial<C>> = hardening::rules::ALL
        .iter()
        .map(|rule| {
            Trial::new(
                format!("hardening::{}", label(rule)),
                Box::new(move |context: &C| {
                    Box::pin(async move {
                        let containers = containers(context.stack(), context.project()).await?;
                        outcome(containers.iter().flat_map(|c| (rule.run)(c)).collect())
                    })
                }),
            )
        })
        .collect();
    trials.push(Trial::new(
        "hardening::every-service-has-a-container-inspected",
        Box::new(|context: &C| {
            Box::pin(async move {
                let containers = containers(context.stack(), context.project()).await?;
                let services: std::collections::BTreeSet<&str> =
                    containers.iter().filter_map(|c| c.facts.service()).collect();
                let wanted: Vec<&str> = context
                    .project()
                    .services()
                    .map(|(name, _)| name)
                    .filter(|name| !services.contains(name))
                    .collect();
                if !wanted.is_empty() && !wanted.iter().all(|w| profile_only(context.project(), w)) {
                    return Err(format!("services with no container to inspect: {wanted:?}"));
                }
                Ok(())
            })
        }),
    ));
    trials
}

/// Whether `service` runs only under a profile (the project is rendered with every profile on).
fn profile_only(project: &Project, service: &str) -> bool {
    project.services().find(|(name, _)| *name == service).is_some_and(|(_, s)| s.get("profiles").is_some())
}

/// The trial of live monitoring check `check`.
pub fn live_trial<C: Booted>(check: &'static LiveCheck) -> Trial<C> {
    let phase = if check.run.disrupts { Phase::Disrupt } else { Phase::Read };
    Trial::new(
        format!("monitoring::{}", label(check)),
        Box::new(move |context: &C| {
            Box::pin(async move {
                let booted = context.booted();
                let monitoring = Monitoring { stack: &booted.stack, site: &booted.site, root: context.root() };
                outcome(monitoring::live::run(check, &monitoring).await)
            })
        }),
    )
    .in_phase(phase)
}

/// The compose project a stack was started from, rendered with `.env.example` plus `extra`
/// variables (those an overlay requires), every profile on.
pub async fn project_of(files: &[&str], extra: &[(&str, String)]) -> Result<Project, String> {
    let example = std::fs::read_to_string(repo::path(".env.example")).map_err(|e| e.to_string())?;
    let env = env_text(&example, extra.iter().map(|(k, v)| (*k, v)));
    let file = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    std::fs::write(file.path(), env).map_err(|e| e.to_string())?;
    let options = ProjectOptions {
        dir: repo::root().to_path_buf(),
        compose: files.iter().map(|f| repo::path(f)).collect(),
        env_file: Some(file.path().to_path_buf()),
        config: None,
    };
    Project::load(&options).await.map_err(|e| e.to_string())
}

/// The text of an env file: `base`'s lines, with each of `values` set (replacing its line).
pub fn env_text<'a>(base: &str, values: impl Iterator<Item = (impl AsRef<str>, &'a String)>) -> String {
    let values: Vec<(String, &String)> = values.map(|(k, v)| (k.as_ref().to_owned(), v)).collect();
    let mut text: String = base
        .lines()
        .filter(|line| !values.iter().any(|(key, _)| line.starts_with(&format!("{key}="))))
        .map(|line| format!("{line}\n"))
        .collect();
    for (key, value) in values {
        text += &format!("{key}={value}\n");
    }
    text
}

/// Waits until every service of `stack` is running and, where it has a healthcheck, healthy.
pub async fn wait_until_healthy(stack: &Stack) -> Result<(), String> {
    stackproof::wait::until(
        "every container healthy again",
        Duration::from_secs(120),
        Duration::from_secs(1),
        || async {
            match stack.containers().await {
                Ok(all) => {
                    let sick: Vec<String> = all
                        .iter()
                        .filter(|r| {
                            r.service != "migrate"
                                && (r.state != "running" || !(r.health.is_empty() || r.health == "healthy"))
                        })
                        .map(|r| format!("{} {} {}", r.name, r.state, r.health))
                        .collect();
                    if sick.is_empty() {
                        stackproof::wait::Probe::Ready(())
                    } else {
                        stackproof::wait::Probe::Pending(sick.join(", "))
                    }
                }
                Err(e) => stackproof::wait::Probe::Pending(e.to_string()),
            }
        },
    )
    .await
    .map_err(|e| e.to_string())
}
