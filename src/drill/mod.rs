//! Drills (`SP6xx`): the site's bad days rehearsed on a running production stack, each under
//! steady client load ([`crate::steady_load`]), each judging what users saw (failed requests,
//! latency), what the operator got (the command's exit and its reason, the alert) and that
//! nothing committed was lost. Unlike the edge checks they change the stack, so they run in
//! the order of [`ALL`], after everything else on their stack.

pub mod images;
pub mod release;

use std::path::Path;
use std::pin::Pin;

use crate::check::{Check, Finding, Location};
use crate::observe::Outcome;
use crate::site::Site;
use crate::stack::Stack;

/// What a drill works on.
pub struct DrillTarget<'a> {
    /// The production stack.
    pub stack: &'a Stack,
    /// The site through its proxy.
    pub site: &'a Site,
    /// The CA the site's certificate chains to (the test CA, or Pebble's root).
    pub ca_pem: &'a Path,
    /// The tree the stack was built from (the repository, or a mutated copy): its
    /// `deploy/release.sh` and `app/` are what the drills run and build.
    pub root: &'a Path,
    /// Where the release command keeps its record for this stack, across drills.
    pub state: &'a Path,
    /// A short name for this stack's drill images (`stackproof/app:drill-<label>-...`).
    pub label: &'a str,
}

/// How a drill runs.
pub type Look = for<'a> fn(&'a DrillTarget<'a>) -> Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// A drill's run.
pub struct Drill {
    /// Runs it.
    pub look: Look,
}

/// A registered drill.
pub type DrillCheck = Check<Drill>;

/// Builds a [`Look`] from an async fn over a [`DrillTarget`].
macro_rules! look {
    ($f:ident) => {{
        fn boxed<'a>(
            target: &'a $crate::drill::DrillTarget<'a>,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = $crate::observe::Outcome> + Send + 'a>> {
            Box::pin($f(target))
        }
        boxed as $crate::drill::Look
    }};
}
pub(crate) use look;

/// Every drill, in the order they run on one stack (each leaves it serving, for the next).
pub static ALL: [&DrillCheck; 5] =
    [&release::BAD_INPUT, &release::NEVER_HEALTHY, &release::GOOD_RELEASE, &release::ROLLBACK, &release::BROKEN_ROUTE];

/// A folder for the release command's record, with the stand-in for `.env` it keeps
/// APP_VERSION in (`env`); removed when dropped.
pub fn new_state() -> std::io::Result<tempfile::TempDir> {
    let state = tempfile::tempdir()?;
    std::fs::write(state.path().join("env"), "# the drill's stand-in for .env\nAPP_VERSION=\n")?;
    Ok(state)
}

/// Runs `drill` on `target`: its problems as findings, or one saying why it could not run.
pub async fn run(drill: &'static DrillCheck, target: &DrillTarget<'_>) -> Vec<Finding> {
    match (drill.run.look)(target).await {
        Ok(problems) => problems.into_iter().map(|p| drill.finding(Location::url(p.url), p.message)).collect(),
        Err(error) => {
            vec![drill.finding(Location::url(target.site.url("/")), format!("could not run: {error}"))]
        }
    }
}
