//! SP300 runs-as-a-numeric-non-root-user.

use super::{Rule, flag};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::hardening::Container;

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP300",
        name: "runs-as-a-numeric-non-root-user",
        kind: Kind::Hardening,
        severity: Severity::Error,
        summary: "the container's user is a numeric uid other than 0 (a name could map to root)",
        fix: "set `user: \"<uid>:<gid>\"` on the service, or USER <uid> in its Dockerfile",
    },
    run: check,
};

fn check(container: &Container) -> Vec<Finding> {
    let user = &container.facts.config.user;
    let uid = user.split(':').next().unwrap_or_default().parse::<u32>();
    flag(&RULE, container, !uid.is_ok_and(|uid| uid != 0), format!("runs as user {user:?}, not a numeric non-root uid"))
}
