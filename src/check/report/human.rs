//! One line per finding, `file:line: [id name] service s: message`, its fix below it, the
//! skipped checks with their reasons, then a summary line.

use std::collections::BTreeSet;
use std::path::Path;

use super::Run;

/// The report, files shown under `base` (the project directory as the user named it).
pub fn human(run: &Run, base: &Path) -> String {
    let mut out = String::new();
    for finding in &run.findings {
        out += &format!("{}\n    fix: {}\n", finding.line_under(base), finding.fix());
    }
    for (check, why) in &run.skipped {
        out += &format!("SKIPPED [{}]: {why}\n", check.label());
    }
    let failed: BTreeSet<&str> = run.findings.iter().map(|f| f.check.id).collect();
    let total = run.ran.len();
    let skipped = match run.skipped.len() {
        0 => String::new(),
        n => format!("; {n} skipped"),
    };
    out += &match run.findings.len() {
        0 => format!("no findings: all {total} checks pass{skipped}\n"),
        1 => format!("1 finding from 1 of {total} checks{skipped}\n"),
        n => format!("{n} findings from {} of {total} checks{skipped}\n", failed.len()),
    };
    out
}
