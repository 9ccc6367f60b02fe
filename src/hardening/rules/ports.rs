//! SP313 publishes-only-allowed-ports: container ports bound on the host are those of the
//! services the harness config lets publish.

use super::{Rule, finding};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::hardening::Container;

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP313",
        name: "publishes-only-allowed-ports",
        kind: Kind::Hardening,
        severity: Severity::Error,
        summary: "a container binds host ports only for the container ports its service may publish",
        fix: "remove the ports: entry, or allow the service in stackproof.yml's published_ports",
    },
    run: check,
};

fn check(container: &Container) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (port, bindings) in container.facts.host_config.port_bindings.iter().flatten() {
        let published = bindings.as_ref().is_some_and(|b| !b.is_empty());
        let container_port: u16 = port.split('/').next().and_then(|p| p.parse().ok()).unwrap_or(0);
        if published && !container.allowance.published_ports.contains(&container_port) {
            findings.push(finding(&RULE, container, format!("publishes port {port} on the host")));
        }
    }
    findings
}
