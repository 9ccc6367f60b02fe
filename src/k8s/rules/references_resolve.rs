//! SP204 references-resolve: every volumeMount names a volume of its pod; every Secret and
//! PersistentVolumeClaim a pod refers to (volumes, env, envFrom) is in the manifests or is the
//! session secret created out of band.

use std::collections::BTreeSet;

use super::{Rule, problem};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::k8s::{Manifests, Resource, list};

/// The session secret, created by hand (deploy/k8s/README.md) and never in the manifests.
pub const OUT_OF_BAND_SECRET: &str = "stockapp-secret-key";

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP204",
        name: "references-resolve",
        kind: Kind::Kubernetes,
        severity: Severity::Error,
        summary: "every volumeMount names a volume of its pod, and every Secret and claim a pod uses is in the \
                  manifests (or is the out-of-band session secret)",
        fix: "correct the name, or add the volume, Secret or PersistentVolumeClaim to the manifests",
    },
    run: check,
};

fn check(manifests: &Manifests) -> Vec<Finding> {
    let names = |kind| manifests.of_kind(kind).map(|r| r.name.as_str());
    let secrets: BTreeSet<&str> = names("Secret").chain([OUT_OF_BAND_SECRET]).collect();
    let claims: BTreeSet<&str> = names("PersistentVolumeClaim").collect();
    let mut findings = Vec::new();
    for workload in manifests.workloads() {
        findings.extend(dangling_mounts(workload));
        for (field, kind, name) in named_references(workload) {
            let known = if kind == "Secret" { &secrets } else { &claims };
            if !known.contains(name) {
                let what = format!("names {kind}/{name}, which is neither in the manifests nor {OUT_OF_BAND_SECRET}");
                findings.push(problem(&RULE, workload, &field, what));
            }
        }
    }
    findings
}

fn dangling_mounts(workload: &Resource) -> Vec<Finding> {
    let volumes: BTreeSet<&str> =
        list(&workload.pod_spec()["volumes"]).iter().filter_map(|v| v["name"].as_str()).collect();
    let mut findings = Vec::new();
    for (field, container) in workload.all_containers() {
        for name in list(&container["volumeMounts"]).iter().filter_map(|m| m["name"].as_str()) {
            if !volumes.contains(name) {
                findings.push(problem(
                    &RULE,
                    workload,
                    &format!("{field}.volumeMounts[{name}]"),
                    "names no volume of this pod",
                ));
            }
        }
    }
    findings
}

/// (field, kind, name) of every Secret and PersistentVolumeClaim a workload's pod refers to.
fn named_references(workload: &Resource) -> Vec<(String, &'static str, &str)> {
    let mut found = Vec::new();
    for volume in list(&workload.pod_spec()["volumes"]) {
        let at = format!("spec.template.spec.volumes[{}]", volume["name"].as_str().unwrap_or("?"));
        if let Some(name) = volume["secret"]["secretName"].as_str() {
            found.push((format!("{at}.secret.secretName"), "Secret", name));
        }
        if let Some(name) = volume["persistentVolumeClaim"]["claimName"].as_str() {
            found.push((format!("{at}.persistentVolumeClaim.claimName"), "PersistentVolumeClaim", name));
        }
    }
    for (field, container) in workload.all_containers() {
        for variable in list(&container["env"]) {
            if let Some(name) = variable["valueFrom"]["secretKeyRef"]["name"].as_str() {
                let at = format!("{field}.env[{}].valueFrom.secretKeyRef", variable["name"].as_str().unwrap_or("?"));
                found.push((at, "Secret", name));
            }
        }
        for source in list(&container["envFrom"]) {
            if let Some(name) = source["secretRef"]["name"].as_str() {
                found.push((format!("{field}.envFrom.secretRef"), "Secret", name));
            }
        }
    }
    found
}
