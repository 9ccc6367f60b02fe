//! The compose rules (SP1xx): each is shown failing by its case in `fixtures/policy/projects/`
//! (a project and an `expect.yml` naming what it must fail, and only that), the clean project
//! passes every rule, and roles come from the compose file. Needs the compose CLI to render.

use std::path::PathBuf;

use anyhow::{Result, ensure};
use stackproof::check::case::{self, Case};
use stackproof::policy::{self, Project, ProjectOptions, Role};
use stackproof::repo;
use stackproof::suite::{Requirement, Suite, Trial};

use crate::common::case_problems;
use crate::trial;

fn projects() -> PathBuf {
    repo::path("fixtures/policy/projects")
}

async fn load(dir: PathBuf) -> Result<Project> {
    Ok(Project::load(&ProjectOptions { dir, ..ProjectOptions::default() }).await?)
}

/// Every project there is a case (the clean one is `fixtures/policy/clean`).
fn cases() -> Result<Vec<Case>> {
    Ok(case::discover(&projects())?)
}

/// One trial per rule, one per case, and the clean project's.
pub fn suite() -> Suite<()> {
    let mut suite = Suite::plain("policy").requires(Requirement::ComposeCli);
    for rule in policy::rules::ALL {
        suite = suite.with(Trial::new(
            rule.label().replace(' ', "-"),
            Box::new(move |_: &()| {
                Box::pin(async move {
                    let shown =
                        cases().map_err(|e| format!("{e:#}"))?.iter().any(|c| c.expect.fails.contains_key(rule.id));
                    if shown {
                        Ok(())
                    } else {
                        Err(format!("no case in fixtures/policy/projects makes {} fail", rule.label()))
                    }
                })
            }),
        ));
    }
    for case in cases().unwrap_or_default() {
        suite = suite.with(Trial::new(
            format!("case::{}", case.name),
            Box::new(move |_: &()| {
                let case = case.clone();
                Box::pin(async move { case_fails(&case).await.map_err(|e| format!("{e:#}")) })
            }),
        ));
    }
    suite.with(trial!("the-clean-project-passes-every-rule", (), clean_passes)).with(trial!(
        "one-shots-are-known-from-the-compose-file",
        (),
        roles
    ))
}

async fn case_fails(case: &Case) -> Result<()> {
    let run = policy::check(&load(case.dir.clone()).await?);
    for finding in &run.findings {
        ensure!(finding.at.line.is_some(), "case {}: no line for {finding}", case.name);
    }
    case_problems(case, &run)
}

async fn clean_passes(_: &()) -> Result<()> {
    let run = policy::check(&load(repo::path("fixtures/policy/clean")).await?);
    ensure!(run.findings.is_empty(), "{}", run.findings.iter().map(|f| format!("{f}\n")).collect::<String>());
    Ok(())
}

async fn roles(_: &()) -> Result<()> {
    let project = load(repo::path("fixtures/policy/clean")).await?;
    ensure!(
        project.rendered["services"]["migrate"].get(policy::EXTENSION).is_none(),
        "compose now keeps x- keys: simplify SP100"
    );
    ensure!(
        project.role("migrate") == Role::Oneshot && project.role("app") == Role::Service,
        "roles are not read from x-stackproof"
    );
    Ok(())
}
