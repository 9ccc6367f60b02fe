//! SP306 shares-no-host-namespace: its own network, process, IPC, hostname and user namespaces.

use super::{Rule, finding};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::hardening::Container;

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP306",
        name: "shares-no-host-namespace",
        kind: Kind::Hardening,
        severity: Severity::Error,
        summary: "the container shares none of the host's network, pid, ipc, uts or user namespaces",
        fix: "remove `network_mode: host`, `pid: host`, `ipc: host`, `uts: host` and `userns_mode: host`",
    },
    run: check,
};

fn check(container: &Container) -> Vec<Finding> {
    let host = &container.facts.host_config;
    [
        ("network", &host.network_mode),
        ("pid", &host.pid_mode),
        ("ipc", &host.ipc_mode),
        ("uts", &host.uts_mode),
        ("user", &host.userns_mode),
    ]
    .into_iter()
    .filter(|(_, mode)| mode.as_str() == "host")
    .map(|(namespace, _)| finding(&RULE, container, format!("shares the host's {namespace} namespace")))
    .collect()
}
