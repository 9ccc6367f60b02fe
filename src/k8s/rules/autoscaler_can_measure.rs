//! SP201 autoscaler-can-measure-its-deployment: there is an HPA; it scales a Deployment of the
//! manifests between at least 2 and more replicas; every container of that Deployment requests
//! CPU (utilisation is a share of the request: without one the HPA cannot compute it).

use super::{Rule, problem};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::k8s::{Manifests, Resource};

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP201",
        name: "autoscaler-can-measure-its-deployment",
        kind: Kind::Kubernetes,
        severity: Severity::Error,
        summary: "a HorizontalPodAutoscaler scales a Deployment of the manifests from at least 2 replicas, and \
                  every container it scales requests CPU",
        fix: "point scaleTargetRef at the app Deployment, set minReplicas >= 2 < maxReplicas, and give each \
              container resources.requests.cpu",
    },
    run: check,
};

fn check(manifests: &Manifests) -> Vec<Finding> {
    let hpas: Vec<&Resource> = manifests.of_kind("HorizontalPodAutoscaler").collect();
    if hpas.is_empty() {
        return vec![RULE.finding(manifests.location(), "no HorizontalPodAutoscaler among the resources")];
    }
    hpas.into_iter().flat_map(|hpa| autoscaler_problems(manifests, hpa)).collect()
}

fn autoscaler_problems(manifests: &Manifests, hpa: &Resource) -> Vec<Finding> {
    let spec = &hpa.body["spec"];
    let (min, max) = (spec["minReplicas"].as_u64().unwrap_or(1), spec["maxReplicas"].as_u64().unwrap_or(0));
    let mut findings = Vec::new();
    if min < 2 {
        findings.push(problem(&RULE, hpa, "spec.minReplicas", format!("is {min}, below 2")));
    }
    if max <= min {
        findings.push(problem(&RULE, hpa, "spec.maxReplicas", format!("is {max}, not above minReplicas {min}")));
    }
    let target = &spec["scaleTargetRef"];
    let name = target["name"].as_str().unwrap_or_default();
    let Some(deployment) = manifests.find("Deployment", name).filter(|_| target["kind"] == "Deployment") else {
        let kind = target["kind"].as_str().unwrap_or("?");
        let what = format!("names {kind}/{name}, which is not in the manifests");
        findings.push(problem(&RULE, hpa, "spec.scaleTargetRef", what));
        return findings;
    };
    for (field, _) in
        deployment.containers_in("containers").into_iter().filter(|(_, c)| c["resources"]["requests"]["cpu"].is_null())
    {
        let what = format!("is not set: HorizontalPodAutoscaler/{} cannot compute CPU utilisation", hpa.name);
        findings.push(problem(&RULE, deployment, &format!("{field}.resources.requests.cpu"), what));
    }
    findings
}
