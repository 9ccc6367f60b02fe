//! The release drills (`SP600`-`SP604`) on one production stack of their own, in the order the
//! registry gives: each runs `deploy/release.sh` under steady load and leaves the stack
//! serving for the next. Then each entry of `fixtures/mutants/release/` (a realistic mistake in
//! the release command) runs the drills it names with its mutated copy of the command, on the
//! same stack, and must make them fail, saying its words. The stack is put back on one good
//! release after an entry that left it otherwise.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use stackproof::check::case::{self, Case};
use stackproof::check::{Finding, Meta};
use stackproof::drill::{self, DrillCheck, DrillTarget};
use stackproof::prod::BootedSite;
use stackproof::repo;
use stackproof::suite::{Phase, Requirement, Suite, Trial};

use crate::checks;

/// What a mutated entry may change: only the command itself, which runs from the copy (the
/// stack's images and config are the repository's).
const SCRIPT: &str = "deploy/release.sh";

/// The stack, and the release command's record for it.
pub struct Release {
    booted: BootedSite,
    state: tempfile::TempDir,
}

impl Release {
    fn target<'a>(&'a self, root: &'a Path, state: &'a Path, label: &'a str) -> DrillTarget<'a> {
        DrillTarget { booted: &self.booted, root, state, label }
    }
}

/// A record folder for the release command, with its stand-in for `.env`.
fn new_state() -> std::io::Result<tempfile::TempDir> {
    let state = tempfile::tempdir()?;
    std::fs::write(state.path().join("env"), "# the drill's stand-in for .env\nAPP_VERSION=\n")?;
    Ok(state)
}

async fn boot() -> Result<Release, String> {
    let booted =
        BootedSite::boot("release", |spec, _| spec.with_file(repo::path("fixtures/overlays/without-monitoring.yml")))
            .await
            .map_err(|e| e.to_string())?;
    Ok(Release { booted, state: new_state().map_err(|e| e.to_string())? })
}

/// The trial of `drill` on the suite's stack.
fn drill_trial(drill: &'static DrillCheck) -> Trial<Release> {
    Trial::new(
        checks::label(drill),
        Box::new(move |release: &Release| {
            Box::pin(async move {
                let target = release.target(repo::root(), release.state.path(), "release");
                checks::outcome(drill::run(drill, &target).await)
            })
        }),
    )
    .in_phase(Phase::Disrupt)
}

/// The entries of `fixtures/mutants/release/`.
fn entries() -> Result<Vec<Case>> {
    Ok(case::discover(&repo::path("fixtures/mutants/release"))?)
}

/// The drills entry `case` names, in run order.
fn scope_of(case: &Case) -> Result<Vec<&'static DrillCheck>> {
    let named: Vec<&String> = if case.expect.stack.scope.is_empty() {
        case.expect.fails.keys().collect()
    } else {
        case.expect.stack.scope.iter().collect()
    };
    for id in &named {
        ensure!(drill::ALL.iter().any(|d| d.id == id.as_str()), "{id} is not a drill: entries here run drills only");
    }
    Ok(drill::ALL.iter().copied().filter(|d| named.iter().any(|id| id.as_str() == d.id)).collect())
}

/// Runs entry `name`'s drills with its mutated command, judges them, and puts the stack back.
async fn mutant(release: &Release, name: &str) -> Result<()> {
    let case = entries()?.into_iter().find(|c| c.name == name).context("no such entry")?;
    ensure!(
        case.expect.edits.iter().all(|e| e.file == Path::new(SCRIPT)) && case.files()?.is_empty(),
        "entry {name} changes more than {SCRIPT}: put it under another area, with a stack of its own"
    );
    let scope = scope_of(&case)?;
    let tree = tempfile::tempdir()?;
    case::copy_tree(repo::root(), &["deploy", "app"], tree.path())?;
    case.apply(tree.path())?;
    let state = new_state()?;
    let label = format!("release-{name}");
    let target = release.target(tree.path(), state.path(), &label);
    let mut findings: Vec<Finding> = Vec::new();
    for drill in &scope {
        findings.extend(drill::run(drill, &target).await);
    }
    let ran: Vec<&'static Meta> = scope.iter().map(|d| &d.meta).collect();
    let problems = case.expect.problems(&ran, &findings);
    restore(release).await?;
    ensure!(problems.is_empty(), "entry {name} ({}):\n{}", case.dir.display(), problems.join("\n"));
    for finding in &findings {
        println!("  {finding}");
    }
    Ok(())
}

/// If a mutated command left the stack other than on one healthy release serving its pages,
/// releases a fresh build of the repository's app with the real command.
async fn restore(release: &Release) -> Result<()> {
    let stack = &release.booted.stack;
    let replicas = stack.replicas("app").await?;
    let mut images = std::collections::BTreeSet::new();
    for replica in &replicas {
        images.insert(
            stack.docker(&["inspect", "--format", "{{.Image}}", &replica.id], Duration::from_secs(30)).await?.stdout,
        );
    }
    let site = &release.booted.site;
    let client = site.client();
    let mut serving = true;
    for path in ["/", "/lessons", "/healthz"] {
        serving &= client.get(site.url(path)).send().await.is_ok_and(|r| r.status() == 200);
    }
    let healthy = replicas.iter().all(|r| r.state == "running" && r.health == "healthy");
    if serving && healthy && images.len() == 1 {
        return Ok(());
    }
    println!("  putting the stack back on one good release (serving {serving}, healthy {healthy}, images {images:?})");
    let fresh = format!("drill-release-restore-{}", std::process::id());
    stackproof::drill::images::build_app(repo::root(), &fresh, |_| Ok(())).await?;
    let mut script = tokio::process::Command::new("bash");
    script
        .arg(repo::path(SCRIPT))
        .args(["release", &fresh])
        .envs(stack.compose_environment())
        .env("RELEASE_STATE_DIR", release.state.path())
        .env("RELEASE_ENV_FILE", release.state.path().join("env"))
        .env("RELEASE_CA_FILE", release.booted.ca.ca_pem())
        .env("RELEASE_WATCH_SECONDS", "5");
    stackproof::command::run(script, Duration::from_secs(600)).await?;
    Ok(())
}

/// The suite.
pub fn suite() -> Suite<Release> {
    let mut suite = Suite::new(
        "release",
        || Box::pin(boot()),
        |release: Release| Box::pin(async move { release.booted.down().await.map_err(|e| e.to_string()) }),
    )
    .requires(Requirement::Docker)
    .weighing(2)
    .with_all(drill::ALL.iter().map(|d| drill_trial(d)));
    let names = match entries() {
        Ok(entries) => entries.into_iter().map(|c| c.name).collect::<Vec<String>>(),
        Err(error) => {
            let error = format!("{error:#}");
            return suite.with(Trial::new(
                "mutants::catalog-loads",
                Box::new(move |_: &Release| {
                    let error = error.clone();
                    Box::pin(async move { Err(error) })
                }),
            ));
        }
    };
    for name in names {
        let trial_name = format!("mutants::{name}");
        suite = suite.with(
            Trial::new(
                trial_name,
                Box::new(move |release: &Release| {
                    let name = name.clone();
                    Box::pin(async move { mutant(release, &name).await.map_err(|e| format!("{e:#}")) })
                }),
            )
            .in_phase(Phase::Disrupt),
        );
    }
    suite
}
