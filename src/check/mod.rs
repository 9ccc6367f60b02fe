//! The one check model. Whatever it looks at (a compose project, Kubernetes manifests, a running
//! container, the live edge of a site, the monitoring), a check has a stable id, a name that
//! says what it proves, a severity and a fix, and reports what it finds as [`Finding`]s. Each
//! kind keeps its checks in one registry (`ALL` in its module); [`catalog`] lists them all, and
//! [`report`] writes any run of them for people, code scanning (SARIF) and CI (JUnit).

pub mod case;
mod finding;
pub mod report;

use std::ops::Deref;

pub use finding::{Finding, Location, display_path};

/// What a check looks at; each kind has its own id series and registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A compose project, rendered but not running (SP1xx, `policy::rules`).
    Compose,
    /// Kubernetes manifests, without a cluster (SP2xx, `k8s::rules`).
    Kubernetes,
    /// What running containers really got from the engine (SP3xx, `hardening::rules`).
    Hardening,
    /// A deployed site as its clients reach it (SP4xx, `edge`).
    Edge,
    /// The monitoring: its configuration and what it sees (SP5xx, `monitoring`).
    Monitoring,
    /// The site's bad days, rehearsed under load: releases, rollbacks, renewals (SP6xx, `drill`).
    Drill,
}

impl Kind {
    /// Every kind, in id order.
    pub const ALL: [Self; 6] =
        [Self::Compose, Self::Kubernetes, Self::Hardening, Self::Edge, Self::Monitoring, Self::Drill];

    /// The kind's name, as `stackproof list --kind` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Compose => "compose",
            Self::Kubernetes => "kubernetes",
            Self::Hardening => "hardening",
            Self::Edge => "edge",
            Self::Monitoring => "monitoring",
            Self::Drill => "drill",
        }
    }

    /// The prefix every id of this kind starts with.
    pub fn series(self) -> &'static str {
        match self {
            Self::Compose => "SP1",
            Self::Kubernetes => "SP2",
            Self::Hardening => "SP3",
            Self::Edge => "SP4",
            Self::Monitoring => "SP5",
            Self::Drill => "SP6",
        }
    }

    /// The kind named `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// How bad a finding of the check is (SARIF's levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The property the check proves is false: the gate fails.
    Error,
    /// A weakness worth fixing that does not fail the gate by itself.
    Warning,
}

impl Severity {
    /// SARIF's name for the level.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
        }
    }
}

/// What a check is, apart from how it looks.
#[derive(Debug)]
pub struct Meta {
    /// Stable id (`SP101`), never reused; its series names the kind.
    pub id: &'static str,
    /// Short kebab-case name saying what it proves (`secrets-from-files`).
    pub name: &'static str,
    /// What it looks at.
    pub kind: Kind,
    /// How bad its findings are.
    pub severity: Severity,
    /// One sentence: what holds when the check passes.
    pub summary: &'static str,
    /// One sentence: what to do about a finding, unless the finding says better.
    pub fix: &'static str,
}

impl Meta {
    /// `SP101 secrets-from-files`.
    pub fn label(&self) -> String {
        format!("{} {}", self.id, self.name)
    }
}

/// A check: its [`Meta`] and the function that looks (its type depends on the kind).
pub struct Check<F: 'static> {
    /// What the check is.
    pub meta: Meta,
    /// How it looks.
    pub run: F,
}

impl<F> Deref for Check<F> {
    type Target = Meta;

    fn deref(&self) -> &Meta {
        &self.meta
    }
}

impl<F> Check<F> {
    /// A finding of this check at `at`.
    pub fn finding(&'static self, at: Location, message: impl Into<String>) -> Finding {
        Finding::new(&self.meta, at, message)
    }
}

impl<F> std::fmt::Debug for Check<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.meta.label())
    }
}

/// Every registered check of every kind, in id order.
pub fn catalog() -> Vec<&'static Meta> {
    let mut all: Vec<&'static Meta> = crate::policy::rules::ALL.iter().map(|rule| &rule.meta).collect();
    all.extend(crate::k8s::rules::ALL.iter().map(|rule| &rule.meta));
    all.extend(crate::hardening::rules::ALL.iter().map(|rule| &rule.meta));
    all.extend(crate::edge::ALL.iter().map(|check| &check.meta));
    all.extend(crate::browser::ALL.iter().map(|check| &check.meta));
    all.extend(crate::monitoring::catalog());
    all.extend(crate::drill::ALL.iter().map(|drill| &drill.meta));
    all.sort_by_key(|meta| meta.id);
    all
}

/// The check with `id` or `name`, if one is registered.
pub fn find(id_or_name: &str) -> Option<&'static Meta> {
    catalog().into_iter().find(|meta| meta.id == id_or_name || meta.name == id_or_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_are_unique_and_each_id_is_in_its_kinds_series() {
        let all = catalog();
        let mut ids: Vec<&str> = all.iter().map(|m| m.id).collect();
        let mut names: Vec<&str> = all.iter().map(|m| m.name).collect();
        ids.dedup();
        names.sort_unstable();
        names.dedup();
        assert_eq!((ids.len(), names.len()), (all.len(), all.len()), "an id or a name is used twice");
        for meta in &all {
            assert!(meta.id.starts_with(meta.kind.series()), "{} is not in the {} series", meta.id, meta.kind.name());
            assert!(meta.id.len() == 5 && meta.id[2..].chars().all(|c| c.is_ascii_digit()), "{} is not SPnnn", meta.id);
            let kebab = meta.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            assert!(kebab, "{}: name {} is not kebab-case", meta.id, meta.name);
            assert!(!meta.summary.is_empty() && !meta.fix.is_empty(), "{}: no summary or fix", meta.id);
        }
    }

    #[test]
    fn every_kind_has_checks_and_a_name_that_parses_back() {
        for kind in Kind::ALL {
            assert!(catalog().iter().any(|m| m.kind == kind), "no check of kind {}", kind.name());
            assert_eq!(Kind::parse(kind.name()), Some(kind));
        }
        assert_eq!(Kind::parse("nonsense"), None);
    }
}
