//! The release drills (`SP600`-`SP604`) on one production stack of their own, in the order the
//! registry gives: each runs `deploy/release.sh` under steady load and leaves the stack
//! serving for the next. The entries of `fixtures/mutants/release/` show each failing; the
//! mutants suites run them.

use stackproof::drill::{self, DrillCheck, DrillTarget};
use stackproof::prod::BootedSite;
use stackproof::repo;
use stackproof::suite::{Phase, Requirement, Suite, Trial};

use crate::checks;

/// The stack, and the release command's record for it.
pub struct Release {
    booted: BootedSite,
    state: tempfile::TempDir,
}

async fn boot() -> Result<Release, String> {
    let booted =
        BootedSite::boot("release", |spec, _| spec.with_file(repo::path("fixtures/overlays/without-monitoring.yml")))
            .await
            .map_err(|e| e.to_string())?;
    let state = drill::new_state().map_err(|e| e.to_string())?;
    Ok(Release { booted, state })
}

/// The trial of `drill` on the suite's stack.
fn drill_trial(drill: &'static DrillCheck) -> Trial<Release> {
    Trial::new(
        checks::label(drill),
        Box::new(move |release: &Release| {
            Box::pin(async move {
                let ca = release.booted.ca.ca_pem();
                let target = DrillTarget {
                    stack: &release.booted.stack,
                    site: &release.booted.site,
                    ca_pem: &ca,
                    root: repo::root(),
                    state: release.state.path(),
                    label: "release",
                };
                checks::outcome(drill::run(drill, &target).await)
            })
        }),
    )
    .in_phase(Phase::Disrupt)
}

/// The suite.
pub fn suite() -> Suite<Release> {
    Suite::new(
        "release",
        || Box::pin(boot()),
        |release: Release| Box::pin(async move { release.booted.down().await.map_err(|e| e.to_string()) }),
    )
    .requires(Requirement::Docker)
    .weighing(1)
    .with_all(drill::ALL.iter().map(|d| drill_trial(d)))
}
