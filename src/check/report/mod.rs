//! A run of checks written for people (one line per finding, with its fix), code scanning
//! (SARIF 2.1.0) and CI (JUnit XML). Every format says which checks ran, which were skipped
//! and why, and what each found.

mod human;
mod junit;
mod sarif;

pub use human::human;
pub use junit::junit;
pub use sarif::sarif;

use super::{Finding, Meta};

/// What one run did: the checks it ran, those it skipped (with why), and what they found.
#[derive(Debug, Default)]
pub struct Run {
    /// Every check that ran, in id order.
    pub ran: Vec<&'static Meta>,
    /// Checks that did not run, each with the reason.
    pub skipped: Vec<(&'static Meta, String)>,
    /// What the checks that ran found, by check id, then file, then line.
    pub findings: Vec<Finding>,
}

impl Run {
    /// A run of `ran` that found `findings` (sorted here).
    pub fn new(ran: Vec<&'static Meta>, mut findings: Vec<Finding>) -> Self {
        findings.sort_by(|a, b| (a.check.id, &a.at.file, a.at.line).cmp(&(b.check.id, &b.at.file, b.at.line)));
        Self { ran, skipped: Vec::new(), findings }
    }

    /// The findings of `check`.
    pub fn of<'a>(&'a self, check: &'a Meta) -> impl Iterator<Item = &'a Finding> {
        self.findings.iter().filter(move |f| std::ptr::eq(f.check, check))
    }

    /// Whether any check that ran found something.
    pub fn failed(&self) -> bool {
        !self.findings.is_empty()
    }
}
