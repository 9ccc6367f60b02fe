//! SP301 root-filesystem-is-read-only.

use super::{Rule, flag};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::hardening::Container;

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP301",
        name: "root-filesystem-is-read-only",
        kind: Kind::Hardening,
        severity: Severity::Error,
        summary: "the container's root filesystem is mounted read-only",
        fix: "set `read_only: true` and give the service tmpfs or volumes for what it writes",
    },
    run: check,
};

fn check(container: &Container) -> Vec<Finding> {
    flag(&RULE, container, !container.facts.host_config.readonly_rootfs, "root filesystem is writable")
}
