//! SP107 published-ports: only the allowed services publish host ports, and only the allowed ones.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Rule;
use crate::check::{Finding, Kind, Meta, Severity};
use crate::policy::project::Project;

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP107",
        name: "published-ports",
        kind: Kind::Compose,
        severity: Severity::Error,
        summary: "host ports are published only by the services the harness config allows, on the ports it \
                  allows (default: proxy on 80 and 443)",
        fix: "remove the ports: entry, or allow that service and port in stackproof.yml's published_ports",
    },
    run: check,
};

fn check(project: &Project) -> Vec<Finding> {
    let allowed = &project.config.published_ports;
    let mut findings = Vec::new();
    for (name, service) in project.services() {
        let ports = service.get("ports").and_then(Value::as_array).into_iter().flatten();
        for (index, port) in ports.enumerate() {
            let published = port.get("published").and_then(|p| match p {
                Value::String(s) => s.parse::<u16>().ok(),
                other => other.as_u64().and_then(|n| u16::try_from(n).ok()),
            });
            if published.is_some_and(|p| allowed.get(name).is_some_and(|ports| ports.contains(&p))) {
                continue;
            }
            let what = match published {
                Some(host) => format!("host port {host}"),
                None => format!("container port {} on a random host port", port.get("target").unwrap_or(&Value::Null)),
            };
            let at = project.locate(&["services", name, "ports", &index.to_string()]);
            let message = format!("ports.{index} publishes {what}; allowed: {}", describe(allowed));
            findings.push(RULE.finding(at.with_service(name), message));
        }
    }
    findings
}

/// `proxy on 80, 443; web on 8443`, or `none`.
fn describe(allowed: &BTreeMap<String, Vec<u16>>) -> String {
    let each = allowed.iter().map(|(service, ports)| {
        let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
        format!("{service} on {}", ports.join(", "))
    });
    let described = each.collect::<Vec<_>>().join("; ");
    if described.is_empty() { "none".to_owned() } else { described }
}
