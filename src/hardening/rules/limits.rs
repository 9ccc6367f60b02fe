//! SP308 has-cpu-memory-and-pids-limits.

use super::{Rule, flag};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::hardening::Container;

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP308",
        name: "has-cpu-memory-and-pids-limits",
        kind: Kind::Hardening,
        severity: Severity::Error,
        summary: "the container has a memory limit, a CPU limit and a process limit",
        fix: "set deploy.resources.limits cpus, memory and pids on the service",
    },
    run: check,
};

fn check(container: &Container) -> Vec<Finding> {
    let host = &container.facts.host_config;
    let mut findings = flag(&RULE, container, host.memory == 0, "has no memory limit");
    findings.extend(flag(&RULE, container, host.nano_cpus == 0, "has no CPU limit"));
    findings.extend(flag(&RULE, container, host.pids_limit.unwrap_or(0) <= 0, "has no pids limit"));
    findings
}
