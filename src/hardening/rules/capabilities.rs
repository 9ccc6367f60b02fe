//! SP303 drops-every-capability: all dropped, and none added back beyond the declared need.

use super::{Rule, finding, flag};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::hardening::Container;

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP303",
        name: "drops-every-capability",
        kind: Kind::Hardening,
        severity: Severity::Error,
        summary: "the container drops ALL capabilities and adds back only those its x-stackproof cap_add declares",
        fix: "set `cap_drop: [ALL]`; add a capability back only with a line in the service's x-stackproof cap_add",
    },
    run: check,
};

fn check(container: &Container) -> Vec<Finding> {
    let host = &container.facts.host_config;
    let dropped_all = host.cap_drop.iter().flatten().any(|c| c == "ALL" || c == "CAP_ALL");
    let mut findings =
        flag(&RULE, container, !dropped_all, format!("does not drop ALL capabilities (drops {:?})", host.cap_drop));
    for cap in host.cap_add.iter().flatten() {
        let name = cap.trim_start_matches("CAP_");
        if !container.allowance.needs.cap_add.iter().any(|allowed| allowed.trim_start_matches("CAP_") == name) {
            findings.push(finding(&RULE, container, format!("adds capability {cap}, which it does not declare")));
        }
    }
    findings
}
