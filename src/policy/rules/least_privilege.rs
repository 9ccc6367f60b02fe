//! SP108 least-privilege-networks-and-volumes: each service joins only the networks and mounts
//! only the named volumes its `x-stackproof` declares (volumes read-only unless declared `rw`),
//! and every network the project declares internal (`x-stackproof: {internal_networks: [...]}`)
//! is rendered `internal: true`. The same judgement as SP314 on running containers.

use serde_json::Value;

use super::Rule;
use crate::check::{Finding, Kind, Meta, Severity};
use crate::policy::needs::{Attachment, excess};
use crate::policy::project::Project;

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP108",
        name: "least-privilege-networks-and-volumes",
        kind: Kind::Compose,
        severity: Severity::Error,
        summary: "every service joins only the networks and mounts only the volumes its x-stackproof declares \
                  (read-only unless rw), and networks declared internal are internal",
        fix: "remove the network or volume from the service, or declare the need in its x-stackproof; keep \
              internal networks `internal: true`",
    },
    run: check,
};

fn check(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (name, service) in project.services() {
        let networks = match service.get("networks") {
            Some(Value::Object(map)) => map.keys().cloned().collect(),
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ if service.get("network_mode").is_some() => Default::default(),
            _ => ["default".to_owned()].into(),
        };
        let volumes = service.get("volumes").and_then(Value::as_array).into_iter().flatten();
        let volumes = volumes
            .filter(|v| v.get("type").and_then(Value::as_str) == Some("volume"))
            .filter_map(|v| {
                Some((v.get("source")?.as_str()?.to_owned(), v.get("read_only") != Some(&Value::Bool(true))))
            })
            .collect();
        let at = project.locate(&["services", name]).with_service(name);
        for what in excess(&project.needs(name), &Attachment { networks, volumes }) {
            findings.push(RULE.finding(at.clone(), what));
        }
    }
    let rendered = project.rendered.get("networks");
    for network in project.internal_networks() {
        let internal =
            rendered.and_then(|n| n.get(&network)).and_then(|n| n.get("internal")) == Some(&Value::Bool(true));
        if !internal {
            let at = project.locate(&["networks", &network]);
            findings.push(RULE.finding(
                at,
                format!("networks.{network} is declared internal but is not `internal: true`: it has a way out"),
            ));
        }
    }
    findings
}
