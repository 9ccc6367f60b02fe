//! What a run leaves in its report directory, next to Goose's `report.html` and `report.json`:
//! `summary.json` (our figures and verdicts; the next run's baseline), `junit.xml` (one test
//! case per threshold) and, given a baseline, `comparison.md`.

mod baseline;
mod junit;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use baseline::{Delta, compare, markdown};
pub use junit::junit;

use super::LoadTestError;
use super::observed::Observed;
use super::profile::{Profile, Thresholds};
use super::target::Target;
use super::thresholds::{Verdict, evaluate};

/// Our file names in a report directory.
pub const SUMMARY: &str = "summary.json";
/// The JUnit summary.
pub const JUNIT: &str = "junit.xml";
/// The comparison with a baseline.
pub const COMPARISON: &str = "comparison.md";
/// Goose's own reports.
pub const GOOSE_REPORTS: [&str; 2] = ["report.html", "report.json"];

/// One run: which profile against what, what it measured, and the verdicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The profile's name.
    pub profile: String,
    /// The base URL load was sent to.
    pub target: String,
    /// The limits judged.
    pub thresholds: Thresholds,
    /// The figures.
    pub observed: Observed,
    /// Every threshold, judged.
    pub verdicts: Vec<Verdict>,
}

impl Summary {
    /// The summary of `profile` run against `target`, its thresholds judged on `observed`.
    pub fn judge(profile: &Profile, target: &Target, observed: Observed) -> Self {
        Self {
            profile: profile.name.clone(),
            target: target.base_url().to_string(),
            thresholds: profile.thresholds,
            verdicts: evaluate(&profile.thresholds, &observed),
            observed,
        }
    }

    /// Whether every threshold held.
    pub fn passed(&self) -> bool {
        self.verdicts.iter().all(|v| v.passed)
    }

    /// The verdicts that failed.
    pub fn breaches(&self) -> impl Iterator<Item = &Verdict> {
        self.verdicts.iter().filter(|v| !v.passed)
    }

    /// Reads a summary written by an earlier run: `path` is the file, or the report
    /// directory holding it.
    pub fn load(path: &Path) -> Result<Self, LoadTestError> {
        let file = if path.is_dir() { path.join(SUMMARY) } else { path.to_path_buf() };
        let text = std::fs::read_to_string(&file).map_err(|source| LoadTestError::io(&file, source))?;
        serde_json::from_str(&text).map_err(|error| LoadTestError::Baseline {
            path: file,
            message: format!("not a {SUMMARY} written by loadtest: {error}"),
        })
    }

    /// Writes `summary.json`, `junit.xml` and, with a baseline, `comparison.md` into `dir`;
    /// returns the files written.
    pub fn write(&self, dir: &Path, baseline: Option<&Summary>) -> Result<Vec<PathBuf>, LoadTestError> {
        std::fs::create_dir_all(dir).map_err(|source| LoadTestError::io(dir, source))?;
        let json = serde_json::to_string_pretty(self).expect("a summary serializes");
        let mut files = vec![(dir.join(SUMMARY), json + "\n"), (dir.join(JUNIT), junit(self))];
        if let Some(before) = baseline {
            files.push((dir.join(COMPARISON), markdown(before, self)));
        }
        for (path, text) in &files {
            std::fs::write(path, text).map_err(|source| LoadTestError::io(path, source))?;
        }
        Ok(files.into_iter().map(|(path, _)| path).collect())
    }
}
