//! One way something breaks a check: what is wrong, where, and how to fix it.

use std::fmt;
use std::path::{Path, PathBuf};

use super::Meta;

/// Where a finding is: a file (and line), a service, a container or a URL, as many as are known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The file, relative to the project directory (absolute when outside it).
    pub file: Option<PathBuf>,
    /// 1-based line in that file, when the key was found in the text.
    pub line: Option<usize>,
    /// The compose service (or Kubernetes resource, as `Kind/name`) concerned.
    pub service: Option<String>,
    /// The running container concerned.
    pub container: Option<String>,
    /// The URL that answered (or did not).
    pub url: Option<String>,
}

impl Location {
    /// A place in a file.
    pub fn file(file: impl Into<PathBuf>, line: Option<usize>) -> Self {
        Self { file: Some(file.into()), line, ..Self::default() }
    }

    /// A URL.
    pub fn url(url: impl Into<String>) -> Self {
        Self { url: Some(url.into()), ..Self::default() }
    }

    /// A running container.
    pub fn container(name: impl Into<String>) -> Self {
        Self { container: Some(name.into()), ..Self::default() }
    }

    /// The same place, about `service`.
    pub fn with_service(mut self, service: impl Into<String>) -> Self {
        self.service = Some(service.into());
        self
    }

    /// `file:line`, the URL, or the container, shown under `base`.
    fn place(&self, base: &Path) -> Option<String> {
        if let Some(file) = &self.file {
            let line = self.line.map(|line| format!(":{line}")).unwrap_or_default();
            return Some(format!("{}{line}", display_path(&base.join(file))));
        }
        self.url.clone().or_else(|| self.container.as_ref().map(|c| format!("container {c}")))
    }
}

/// A check broken at a location.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The check broken.
    pub check: &'static Meta,
    /// Where.
    pub at: Location,
    /// What is wrong, naming the key, header or field: `environment.DB_PASSWORD is inline; ...`.
    pub message: String,
    /// How to fix this one, when it is more precise than the check's own fix.
    pub fix: Option<String>,
}

impl Finding {
    /// A finding of `check` at `at`.
    pub fn new(check: &'static Meta, at: Location, message: impl Into<String>) -> Self {
        Self { check, at, message: message.into(), fix: None }
    }

    /// The same finding with its own fix.
    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    /// How to fix it: its own fix, else the check's.
    pub fn fix(&self) -> &str {
        self.fix.as_deref().unwrap_or(self.check.fix)
    }

    /// The finding as one line, its file shown under `base` (the project directory as the user
    /// named it): `base/file:line: [SP101 secrets-from-files] service app: message`.
    pub fn line_under(&self, base: &Path) -> String {
        let place = self.at.place(base).map(|p| format!("{p}: ")).unwrap_or_default();
        let service = self.at.service.as_ref().map(|s| format!("service {s}: ")).unwrap_or_default();
        let container = match (&self.at.container, &self.at.file, &self.at.url) {
            (Some(c), Some(_), _) | (Some(c), None, Some(_)) => format!("container {c}: "),
            _ => String::new(),
        };
        format!("{place}[{}] {service}{container}{}", self.check.label(), self.message)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Kind, Severity};

    static META: Meta = Meta {
        id: "SP999",
        name: "example",
        kind: Kind::Compose,
        severity: Severity::Error,
        summary: "an example",
        fix: "do the right thing",
    };

    #[test]
    fn a_line_names_the_place_the_check_and_the_service() {
        let finding = Finding::new(&META, Location::file("compose.yml", Some(3)).with_service("app"), "is wrong");
        assert_eq!(
            finding.line_under(Path::new("./proj")),
            "proj/compose.yml:3: [SP999 example] service app: is wrong"
        );
        let at_url = Finding::new(&META, Location::url("https://x.test/"), "refused");
        assert_eq!(at_url.to_string(), "https://x.test/: [SP999 example] refused");
        let in_container = Finding::new(&META, Location::container("p-app-1").with_service("app"), "runs as root");
        assert_eq!(in_container.to_string(), "container p-app-1: [SP999 example] service app: runs as root");
    }

    #[test]
    fn a_finding_falls_back_to_its_checks_fix() {
        let finding = Finding::new(&META, Location::default(), "x");
        assert_eq!(finding.fix(), "do the right thing");
        assert_eq!(finding.with_fix("set y").fix(), "set y");
    }
}
