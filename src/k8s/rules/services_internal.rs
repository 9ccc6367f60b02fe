//! SP209 services-stay-inside-the-cluster: traffic reaches the app only through the Ingress
//! (TLS, NetworkPolicy): no Service is a NodePort or LoadBalancer or has external IPs, and no
//! container binds a host port.

use super::{Rule, problem};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::k8s::{Manifests, list};

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP209",
        name: "services-stay-inside-the-cluster",
        kind: Kind::Kubernetes,
        severity: Severity::Error,
        summary: "every Service is ClusterIP without external IPs, and no container binds a hostPort, so the \
                  Ingress is the only way in",
        fix: "use type ClusterIP and reach the app through the Ingress; remove hostPort and externalIPs",
    },
    run: check,
};

fn check(manifests: &Manifests) -> Vec<Finding> {
    let mut findings = Vec::new();
    for service in manifests.of_kind("Service") {
        let kind = service.body["spec"]["type"].as_str().unwrap_or("ClusterIP");
        if kind != "ClusterIP" {
            findings.push(problem(
                &RULE,
                service,
                "spec.type",
                format!("is {kind}: the app is reachable beside the Ingress"),
            ));
        }
        if !list(&service.body["spec"]["externalIPs"]).is_empty() {
            findings.push(problem(
                &RULE,
                service,
                "spec.externalIPs",
                "are set: the app is reachable beside the Ingress",
            ));
        }
    }
    for workload in manifests.workloads() {
        for (field, container) in workload.all_containers() {
            for port in list(&container["ports"]).iter().filter(|p| !p["hostPort"].is_null()) {
                let what = format!("is {}: the node's own port reaches the pod", port["hostPort"]);
                findings.push(problem(&RULE, workload, &format!("{field}.ports.hostPort"), what));
            }
        }
    }
    findings
}
