//! SP307 no-host-devices-or-sysctls.

use super::{Rule, finding};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::hardening::Container;

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP307",
        name: "no-host-devices-or-sysctls",
        kind: Kind::Hardening,
        severity: Severity::Error,
        summary: "no host device is passed in and no kernel parameter is set for the container",
        fix: "remove `devices:` and `sysctls:` from the service",
    },
    run: check,
};

fn check(container: &Container) -> Vec<Finding> {
    let host = &container.facts.host_config;
    let devices = host.devices.iter().flatten().map(|d| {
        let path = d["PathOnHost"].as_str().unwrap_or("?");
        finding(&RULE, container, format!("is given host device {path}"))
    });
    let sysctls = host
        .sysctls
        .iter()
        .flatten()
        .map(|(key, value)| finding(&RULE, container, format!("sets sysctl {key}={value}")));
    devices.chain(sysctls).collect()
}
