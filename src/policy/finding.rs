//! One way a project breaks a rule, and where.

use std::fmt;
use std::path::{Path, PathBuf};

use super::rules::Rule;

/// A place in the project: a file relative to the project directory and, if found, a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, relative to the project directory (absolute when outside it).
    pub file: PathBuf,
    /// 1-based line, when the key was found in the text.
    pub line: Option<usize>,
}

/// A rule broken at a location, about a service (or about the whole project).
#[derive(Debug, Clone)]
pub struct Finding {
    /// The rule broken.
    pub rule: &'static Rule,
    /// Where.
    pub at: Location,
    /// The service concerned, if any.
    pub service: Option<String>,
    /// What is wrong, naming the key: `environment.DB_PASSWORD is inline; ...`.
    pub message: String,
}

impl Finding {
    /// The finding as one line, its file shown under `base` (the project directory as the user
    /// named it): `base/file:line: [SP101 secrets-from-files] service app: message`.
    pub fn line_under(&self, base: &Path) -> String {
        let file = display_path(&base.join(&self.at.file));
        let line = self.at.line.map(|line| format!(":{line}")).unwrap_or_default();
        let service = self.service.as_ref().map(|s| format!("service {s}: ")).unwrap_or_default();
        format!("{file}{line}: [{} {}] {service}{}", self.rule.id, self.rule.name, self.message)
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line_under(Path::new("")))
    }
}

/// `path` as a person would type it: without a leading `./`.
pub fn display_path(path: &Path) -> String {
    let shown = path.to_string_lossy();
    shown.strip_prefix("./").unwrap_or(&shown).to_owned()
}
