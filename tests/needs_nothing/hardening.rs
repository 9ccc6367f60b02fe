//! Runtime hardening rules on recorded `docker inspect` facts (`fixtures/hardening/<case>/
//! inspect.json`), for what this machine's engine cannot start (a privileged container): the
//! rules are pure functions of the facts, so recorded facts show them failing as live ones do.

use anyhow::{Context, Result};
use stackproof::check::case::{self, Case};
use stackproof::hardening::{Allowance, Container, ContainerFacts};
use stackproof::repo;
use stackproof::suite::{Suite, Trial};

use crate::common::case_problems;

fn judge(case: &Case) -> Result<()> {
    let path = case.dir.join("inspect.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("{}", path.display()))?;
    let facts: Vec<ContainerFacts> = serde_json::from_str(&text).with_context(|| format!("{}", path.display()))?;
    let containers: Vec<Container> = facts
        .into_iter()
        .map(|facts| Container {
            facts,
            allowance: Allowance::default(),
            internal: Default::default(),
            must_be_internal: Default::default(),
        })
        .collect();
    case_problems(case, &stackproof::hardening::check(&containers))
}

/// One trial per recorded case.
pub fn suite() -> Suite<()> {
    let mut suite = Suite::plain("hardening-recorded");
    for case in case::discover(&repo::path("fixtures/hardening")).unwrap_or_default() {
        suite = suite.with(Trial::new(
            format!("case::{}", case.name),
            Box::new(move |_: &()| {
                let case = case.clone();
                Box::pin(async move { judge(&case).map_err(|e| format!("{e:#}")) })
            }),
        ));
    }
    suite
}
