//! Every runtime hardening rule is shown failing: `fixtures/stacks/unhardened` runs containers
//! that break each one (the case's `expect.yml` names them all, with words), as `docker inspect`
//! reports them, judged with the allowances its compose file declares.

use std::time::Duration;

use anyhow::Result;
use stackproof::check::case;
use stackproof::policy::{Project, ProjectOptions};
use stackproof::repo;
use stackproof::stack::{Ready, Stack, StackSpec};
use stackproof::suite::{Requirement, Suite};

use crate::common::case_problems;
use crate::trial;

const FIXTURE: &str = "fixtures/stacks/unhardened";

async fn boot() -> Result<Stack, String> {
    StackSpec::new("unhardened", &[repo::path(&format!("{FIXTURE}/compose.yml"))])
        .with_wait("lax", Ready::Running, Duration::from_secs(30))
        .with_wait("lax-host", Ready::Running, Duration::from_secs(30))
        .up()
        .await
        .map_err(|e| e.to_string())
}

/// The suite.
pub fn suite() -> Suite<Stack> {
    Suite::new(
        "unhardened",
        || Box::pin(boot()),
        |stack: Stack| Box::pin(async move { stack.down().await.map_err(|e| e.to_string()) }),
    )
    .requires(Requirement::Docker)
    .with(trial!("every-runtime-rule-fails-on-its-count", Stack, every_rule_fails))
}

async fn every_rule_fails(stack: &Stack) -> Result<()> {
    let project = Project::load(&ProjectOptions { dir: repo::path(FIXTURE), ..ProjectOptions::default() }).await?;
    let containers = crate::checks::containers(stack, &project).await.map_err(anyhow::Error::msg)?;
    let case = case::load(&repo::path(FIXTURE))?;
    case_problems(&case, &stackproof::hardening::check(&containers))
}
