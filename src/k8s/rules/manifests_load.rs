//! SP200 manifests-load-with-known-kinds: every file the kustomization lists exists and parses,
//! and holds only kinds these rules know, at the API version they are written for.

use super::{Rule, problem};
use crate::check::{Finding, Kind, Location, Meta, Severity};
use crate::k8s::Manifests;

/// The kinds the manifests may use, each at its API version.
pub const KNOWN_KINDS: &[(&str, &str)] = &[
    ("v1", "Namespace"),
    ("v1", "PersistentVolumeClaim"),
    ("v1", "Secret"),
    ("v1", "Service"),
    ("apps/v1", "Deployment"),
    ("batch/v1", "Job"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
    ("networking.k8s.io/v1", "Ingress"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
];

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP200",
        name: "manifests-load-with-known-kinds",
        kind: Kind::Kubernetes,
        severity: Severity::Error,
        summary: "every file kustomization.yaml lists exists and parses, and holds only known kinds at their \
                  current API version",
        fix: "correct the file name in kustomization.yaml, the YAML, or the apiVersion/kind",
    },
    run: check,
};

fn check(manifests: &Manifests) -> Vec<Finding> {
    let mut findings: Vec<Finding> = manifests
        .load_problems
        .iter()
        .map(|(file, why)| RULE.finding(Location::file(file, None), why.clone()))
        .collect();
    for resource in &manifests.resources {
        let api_version = resource.body["apiVersion"].as_str().unwrap_or_default();
        if !KNOWN_KINDS.contains(&(api_version, resource.kind.as_str())) {
            let what = format!("{api_version}/{} is not a known kind", resource.kind);
            findings.push(problem(&RULE, resource, "apiVersion/kind", what));
        }
    }
    if manifests.resources.is_empty() && findings.is_empty() {
        findings.push(RULE.finding(manifests.location(), "lists no resource: there is nothing to deploy"));
    }
    findings
}
