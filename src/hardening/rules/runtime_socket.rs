//! SP312 no-runtime-socket: no mount gives the container a container runtime's socket, itself or
//! through a folder above it (the same judgement as SP106 on the compose file).

use super::{Rule, finding};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::hardening::Container;
use crate::mounts;

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP312",
        name: "no-runtime-socket",
        kind: Kind::Hardening,
        severity: Severity::Error,
        summary: "no bind mount holds a container runtime's socket (/, /run, /var/run, docker.sock, ...)",
        fix: "remove the mount; mount only the files the service reads",
    },
    run: check,
};

fn check(container: &Container) -> Vec<Finding> {
    container
        .facts
        .mounts
        .iter()
        .filter(|m| m.kind == "bind" && mounts::exposes_runtime_socket(&m.source))
        .map(|m| {
            finding(
                &RULE,
                container,
                format!("mounts {} at {}, which holds the Docker socket or another runtime's", m.source, m.destination),
            )
        })
        .collect()
}
