//! Every registered check is shown failing: some case (a folder with an `expect.yml`, anywhere
//! under `fixtures/`) names it among the checks it must fail. A check no broken input makes fail
//! is a check that cannot be trusted to fail.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Result, ensure};
use stackproof::check::{self, case};
use stackproof::repo;
use stackproof::suite::Suite;

use crate::common::test;

/// Every `expect.yml` below `dir`.
fn expectations(dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            expectations(&path, found)?;
        } else if path.file_name().is_some_and(|n| n == case::FILE) {
            found.push(path);
        }
    }
    Ok(())
}

fn shown_failing() -> Result<BTreeSet<String>> {
    let mut files = Vec::new();
    expectations(&repo::path("fixtures"), &mut files)?;
    let mut ids = BTreeSet::new();
    for file in files {
        let case = case::load(file.parent().unwrap_or(Path::new(".")))?;
        ids.extend(case.expect.fails.keys().cloned());
    }
    Ok(ids)
}

fn every_check_is_shown_failing_by_a_case() -> Result<()> {
    let shown = shown_failing()?;
    let never: Vec<String> = check::catalog().iter().filter(|m| !shown.contains(m.id)).map(|m| m.label()).collect();
    ensure!(
        never.is_empty(),
        "{} checks are never shown failing by a case under fixtures/:\n{}",
        never.len(),
        never.join("\n")
    );
    Ok(())
}

/// The catalog as a whole.
pub fn suite() -> Suite<()> {
    Suite::plain("catalog").with(test("every-check-is-shown-failing-by-a-case", every_check_is_shown_failing_by_a_case))
}
