//! SP305 confined-by-seccomp-and-apparmor: neither profile is switched off.

use super::{Rule, finding};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::hardening::Container;

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP305",
        name: "confined-by-seccomp-and-apparmor",
        kind: Kind::Hardening,
        severity: Severity::Error,
        summary: "the engine's seccomp and AppArmor profiles apply (no seccomp=unconfined, no apparmor=unconfined)",
        fix: "remove `seccomp=unconfined` / `apparmor=unconfined` (or `seccomp:unconfined`) from security_opt",
    },
    run: check,
};

fn check(container: &Container) -> Vec<Finding> {
    let mut findings = Vec::new();
    for option in container.facts.host_config.security_opt.iter().flatten() {
        let normalised = option.replacen(':', "=", 1);
        for profile in ["seccomp", "apparmor"] {
            if normalised == format!("{profile}=unconfined") {
                findings.push(finding(&RULE, container, format!("runs with {profile} unconfined ({option})")));
            }
        }
    }
    let explicit = findings.iter().any(|f| f.message.contains("apparmor"));
    // On a host with AppArmor the engine applies docker-default unless told not to; without it,
    // the profile reads empty and there is nothing this container gave up.
    if !explicit && container.facts.app_armor_profile == "unconfined" {
        findings.push(finding(&RULE, container, "runs with apparmor unconfined (AppArmorProfile)"));
    }
    findings
}
