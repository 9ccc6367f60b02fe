//! SP304 cannot-gain-privileges.

use super::{Rule, flag};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::hardening::Container;

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP304",
        name: "cannot-gain-privileges",
        kind: Kind::Hardening,
        severity: Severity::Error,
        summary: "no-new-privileges is set: no setuid binary or file capability can raise the process's rights",
        fix: "add `security_opt: [\"no-new-privileges:true\"]`",
    },
    run: check,
};

fn check(container: &Container) -> Vec<Finding> {
    let options = container.facts.host_config.security_opt.iter().flatten();
    let set = options.into_iter().any(|o| o == "no-new-privileges:true" || o == "no-new-privileges");
    flag(&RULE, container, !set, "may gain privileges (no-new-privileges not set)")
}
