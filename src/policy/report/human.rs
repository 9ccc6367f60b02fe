//! One line per finding, `file:line: [id name] service s: message`, then a summary line.

use std::collections::BTreeSet;
use std::path::Path;

use crate::policy::finding::Finding;
use crate::policy::rules;

/// The report, files shown under `base` (the project directory as the user named it).
pub fn human(findings: &[Finding], base: &Path) -> String {
    let mut out: String = findings.iter().map(|f| f.line_under(base) + "\n").collect();
    let failed: BTreeSet<&str> = findings.iter().map(|f| f.rule.id).collect();
    let total = rules::ALL.len();
    out += &match findings.len() {
        0 => format!("no findings: all {total} rules pass\n"),
        1 => format!("1 finding from 1 of {total} rules\n"),
        n => format!("{n} findings from {} of {total} rules\n", failed.len()),
    };
    out
}
