//! SP106 no-docker-socket: no container gets a container runtime's socket (that is root on the
//! host), whether mounted itself or through a folder above it; the judgement is `mounts`'.

use serde_json::Value;

use super::Rule;
use crate::check::{Finding, Kind, Meta, Severity};
use crate::mounts;
use crate::policy::project::Project;

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP106",
        name: "no-docker-socket",
        kind: Kind::Compose,
        severity: Severity::Error,
        summary: "no service mounts a container runtime's socket, or any folder above one (/, /run, /var/run, \
                  /run/containerd, ...), read-only or not",
        fix: "remove the mount: the socket (or a folder above it) gives root on the host; mount only the files the service reads",
    },
    run: check,
};

fn check(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (name, service) in project.services() {
        let volumes = service.get("volumes").and_then(Value::as_array).into_iter().flatten();
        for (index, volume) in volumes.enumerate() {
            let Some(source) = volume.get("source").and_then(Value::as_str) else { continue };
            if mounts::exposes_runtime_socket(source) {
                let at = project.locate(&["services", name, "volumes", &index.to_string()]);
                let message = format!(
                    "volumes.{index} mounts {source}, which holds a container runtime's socket: that is root on the host"
                );
                findings.push(RULE.finding(at.with_service(name), message));
            }
        }
    }
    findings
}
