//! SP310 restarts-when-it-fails (long-running services; one-shot jobs are exempt).

use super::{Rule, flag};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::hardening::Container;

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP310",
        name: "restarts-when-it-fails",
        kind: Kind::Hardening,
        severity: Severity::Error,
        summary: "a long-running container has a restart policy (one-shot jobs, by their x-stackproof role, need none)",
        fix: "set `restart: unless-stopped` (or declare the service `x-stackproof: {role: oneshot}`)",
    },
    run: check,
};

fn check(container: &Container) -> Vec<Finding> {
    let name = &container.facts.host_config.restart_policy.name;
    let none = name.is_empty() || name == "no";
    flag(&RULE, container, !container.allowance.one_shot && none, "has no restart policy")
}
