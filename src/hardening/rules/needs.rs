//! SP314 joins-and-mounts-only-what-it-needs: the networks and named volumes the engine gave the
//! container are those its service declares (x-stackproof networks and volumes, with the
//! declared access), and every network the project declares internal is internal. The same
//! judgement as SP108 on the compose file (`policy::needs`).

use super::{Rule, finding};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::hardening::Container;
use crate::policy::needs::{Attachment, excess};

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP314",
        name: "joins-and-mounts-only-what-it-needs",
        kind: Kind::Hardening,
        severity: Severity::Error,
        summary: "a container joins only the networks and mounts only the volumes (read-only unless declared rw) \
                  its service declares, and internal networks are internal",
        fix: "remove the network or volume from the service, or declare the need in its x-stackproof",
    },
    run: check,
};

fn check(container: &Container) -> Vec<Finding> {
    let facts = &container.facts;
    let networks = facts.network_settings.networks.keys().map(|n| facts.unprefixed(n).to_owned());
    let volumes =
        facts.mounts.iter().filter(|m| m.kind == "volume").map(|m| (facts.unprefixed(&m.name).to_owned(), m.rw));
    let actual = Attachment { networks: networks.collect(), volumes: volumes.collect() };
    let mut findings: Vec<Finding> =
        excess(&container.allowance.needs, &actual).into_iter().map(|what| finding(&RULE, container, what)).collect();
    for (network, internal) in &container.internal {
        let name = facts.unprefixed(network);
        if container.must_be_internal.contains(name) && !internal {
            findings.push(finding(
                &RULE,
                container,
                format!("is on network {name}, which must be internal but has a way out"),
            ));
        }
    }
    findings
}
