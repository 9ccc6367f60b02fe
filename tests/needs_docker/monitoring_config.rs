//! The monitoring configuration judged by its own tools in the production images (SP500-SP509),
//! each check its own test over this repository, and each broken case of
//! `fixtures/monitoring/broken/` (files laid over a scratch copy of `deploy/`, or edits of it)
//! failing exactly the checks its `expect.yml` names. Needs Docker, not a stack.

use std::time::Duration;

use anyhow::Result;
use stackproof::check::case::{self, Case};
use stackproof::command;
use stackproof::monitoring::config::{self, ConfigCheck, Tools};
use stackproof::stack::StackSpec;
use stackproof::suite::{Requirement, Suite, Trial};
use stackproof::{prod, repo};
use tokio::process::Command;

use crate::checks::{label, outcome};
use crate::common::case_problems;

/// Builds the two production images the tools come from, and the checks image on top.
async fn images() -> Result<(), String> {
    let spec = StackSpec::new("monitoring-images", &[repo::path("compose.prod.yml")])
        .with_env("SERVER_NAME", prod::SERVER_NAME);
    spec.build_images(&["prometheus", "alertmanager"]).await.map_err(|e| e.to_string())?;
    let mut checks = Command::new("docker");
    checks.args(["build", "--quiet", "--tag", config::PROMETHEUS_TOOLS]).arg(repo::path("fixtures/monitoring/checks"));
    command::run(checks, Duration::from_secs(600)).await.map_err(|e| e.to_string())?;
    Ok(())
}

async fn boot() -> Result<Tools, String> {
    images().await?;
    Tools::start(repo::root()).await.map_err(|e| e.to_string())
}

/// The suite.
pub fn suite() -> Suite<Tools> {
    let mut suite = Suite::new("monitoring-config", || Box::pin(boot()), |_tools: Tools| Box::pin(async { Ok(()) }))
        .requires(Requirement::Docker);
    for check in config::ALL {
        suite = suite.with(check_trial(check));
    }
    let cases = case::discover(&repo::path("fixtures/monitoring/broken")).unwrap_or_default();
    for case in cases {
        suite = suite.with(Trial::new(
            format!("case::{}", case.name),
            Box::new(move |_: &Tools| {
                let case = case.clone();
                Box::pin(async move { case_fails(&case).await.map_err(|e| format!("{e:#}")) })
            }),
        ));
    }
    suite
}

fn check_trial(check: &'static ConfigCheck) -> Trial<Tools> {
    Trial::new(
        label(check),
        Box::new(move |tools: &Tools| {
            Box::pin(async move { outcome((check.run)(tools).await.map_err(|e| e.to_string())?) })
        }),
    )
}

/// The case laid over a scratch copy of deploy/ and docs/, judged by every configuration check.
async fn case_fails(case: &Case) -> Result<()> {
    let tree = tempfile::tempdir()?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tree.path(), std::fs::Permissions::from_mode(0o755))?;
    }
    case::copy_tree(repo::root(), &["deploy", "docs"], tree.path())?;
    case.apply(tree.path())?;
    let tools = Tools::start(tree.path()).await?;
    case_problems(case, &config::check(&tools).await?)
}
