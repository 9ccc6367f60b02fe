//! SP206 selectors-select-the-pods-they-name: every Deployment's selector matches its own pods;
//! every Service, PodDisruptionBudget and NetworkPolicy selects the pods of a workload of the
//! manifests, and a Service's target ports are ports those pods' containers expose; every
//! Ingress backend is a Service of the manifests, on a port that Service has.

use serde_json::Value;

use super::app_matches_compose::container_port;
use super::{Rule, problem};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::k8s::{Manifests, Resource, list, selects};

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP206",
        name: "selectors-select-the-pods-they-name",
        kind: Kind::Kubernetes,
        severity: Severity::Error,
        summary: "Service, PodDisruptionBudget, NetworkPolicy and Deployment selectors select pods of the \
                  manifests, Service target ports exist on them, and Ingress backends name existing Service ports",
        fix: "make the selector's labels those of the pod template (spec.template.metadata.labels), and the \
              port names those the container and Service declare",
    },
    run: check,
};

fn check(manifests: &Manifests) -> Vec<Finding> {
    let mut findings = Vec::new();
    for deployment in manifests.of_kind("Deployment") {
        if !selects(&deployment.body["spec"]["selector"]["matchLabels"], deployment.pod_labels()) {
            findings.push(problem(&RULE, deployment, "spec.selector.matchLabels", "does not select its own pods"));
        }
    }
    for service in manifests.of_kind("Service") {
        findings.extend(service_problems(manifests, service));
    }
    for pdb in manifests.of_kind("PodDisruptionBudget") {
        let selector = &pdb.body["spec"]["selector"]["matchLabels"];
        if selected(manifests, selector).is_empty() {
            findings.push(problem(
                &RULE,
                pdb,
                "spec.selector.matchLabels",
                format!("{selector} selects no pod of the manifests"),
            ));
        }
    }
    for policy in manifests.of_kind("NetworkPolicy") {
        let selector = &policy.body["spec"]["podSelector"]["matchLabels"];
        let everything = selector.as_object().is_none_or(serde_json::Map::is_empty);
        if !everything && selected(manifests, selector).is_empty() {
            findings.push(problem(
                &RULE,
                policy,
                "spec.podSelector.matchLabels",
                format!("{selector} selects no pod of the manifests"),
            ));
        }
    }
    for ingress in manifests.of_kind("Ingress") {
        findings.extend(backend_problems(manifests, ingress));
    }
    findings
}

/// The workloads whose pods `selector` (a `matchLabels` map) selects.
fn selected<'a>(manifests: &'a Manifests, selector: &Value) -> Vec<&'a Resource> {
    manifests.workloads().filter(|w| selects(selector, w.pod_labels())).collect()
}

fn service_problems(manifests: &Manifests, service: &Resource) -> Vec<Finding> {
    let selector = &service.body["spec"]["selector"];
    let pods = selected(manifests, selector);
    if pods.is_empty() {
        return vec![problem(&RULE, service, "spec.selector", format!("{selector} selects no pod of the manifests"))];
    }
    let mut findings = Vec::new();
    for port in list(&service.body["spec"]["ports"]) {
        let target = if port["targetPort"].is_null() { &port["port"] } else { &port["targetPort"] };
        let exposed = pods.iter().all(|pod| {
            pod.containers_in("containers").iter().any(|(_, c)| {
                container_port(c, target).is_some_and(|n| list(&c["ports"]).iter().any(|p| p["containerPort"] == n))
            })
        });
        if !exposed {
            let field = format!("spec.ports[{}].targetPort", port["name"].as_str().unwrap_or("?"));
            findings.push(problem(
                &RULE,
                service,
                &field,
                format!("{target} is no port of the selected pods' containers"),
            ));
        }
    }
    findings
}

fn backend_problems(manifests: &Manifests, ingress: &Resource) -> Vec<Finding> {
    let spec = &ingress.body["spec"];
    let mut backends: Vec<(String, &Value)> = Vec::new();
    if !spec["defaultBackend"].is_null() {
        backends.push(("spec.defaultBackend".into(), &spec["defaultBackend"]));
    }
    for (r, rule) in list(&spec["rules"]).iter().enumerate() {
        for (p, path) in list(&rule["http"]["paths"]).iter().enumerate() {
            backends.push((format!("spec.rules[{r}].http.paths[{p}].backend"), &path["backend"]));
        }
    }
    let mut findings = Vec::new();
    for (field, backend) in backends {
        let name = backend["service"]["name"].as_str().unwrap_or_default();
        let port = &backend["service"]["port"];
        let Some(service) = manifests.find("Service", name) else {
            findings.push(problem(
                &RULE,
                ingress,
                &format!("{field}.service.name"),
                format!("names Service/{name}, which is not in the manifests"),
            ));
            continue;
        };
        let has_port = list(&service.body["spec"]["ports"]).iter().any(|p| {
            (!port["name"].is_null() && p["name"] == port["name"])
                || (!port["number"].is_null() && p["port"] == port["number"])
        });
        if !has_port {
            findings.push(problem(
                &RULE,
                ingress,
                &format!("{field}.service.port"),
                format!("{port} is no port of Service/{name}"),
            ));
        }
    }
    findings
}
