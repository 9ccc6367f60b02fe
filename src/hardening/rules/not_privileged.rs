//! SP302 not-privileged.

use super::{Rule, flag};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::hardening::Container;

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP302",
        name: "not-privileged",
        kind: Kind::Hardening,
        severity: Severity::Error,
        summary: "the container does not run privileged (every device, every capability, no confinement)",
        fix: "remove `privileged: true`; add the one capability or device it needs, if any, and declare it",
    },
    run: check,
};

fn check(container: &Container) -> Vec<Finding> {
    flag(&RULE, container, container.facts.host_config.privileged, "runs privileged")
}
