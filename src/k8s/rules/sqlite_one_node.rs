//! SP205 sqlite-pods-share-one-node: SQLite's constraint. Every claim is ReadWriteOnce (one
//! node's block volume: SQLite's locks do not hold on network filesystems); every container of
//! the app (its image, or given `STOCKAPP_DATABASE`) opens the database from one and the same
//! claim, at the path it sets or the app's default; and every pod mounting a claim requires
//! (podAffinity on the node's hostname) to run beside every pod mounting it. The selector
//! matches the pod itself too, which is what lets the scheduler place the first one anywhere.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};

use super::{Rule, problem};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::k8s::{Manifests, Resource, list};

const HOSTNAME: &str = "kubernetes.io/hostname";

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP205",
        name: "sqlite-pods-share-one-node",
        kind: Kind::Kubernetes,
        severity: Severity::Error,
        summary: "every claim is ReadWriteOnce, every app container opens the database from the same claim, and \
                  every pod of a claim requires the node of all the others",
        fix: "keep one ReadWriteOnce claim for the database, mount it where STOCKAPP_DATABASE (or the default) \
              points, and give every pod using it a required podAffinity on kubernetes.io/hostname",
    },
    run: check,
};

fn check(manifests: &Manifests) -> Vec<Finding> {
    let read_write_once = json!(["ReadWriteOnce"]);
    let mut findings: Vec<Finding> = manifests
        .of_kind("PersistentVolumeClaim")
        .filter(|pvc| pvc.body["spec"]["accessModes"] != read_write_once)
        .map(|pvc| {
            let what = format!("is {}, not [ReadWriteOnce]", pvc.body["spec"]["accessModes"]);
            problem(&RULE, pvc, "spec.accessModes", what)
        })
        .collect();
    findings.extend(database_claim_problems(manifests));
    findings.extend(affinity_problems(manifests));
    findings
}

fn claims_of(workload: &Resource) -> BTreeSet<&str> {
    list(&workload.pod_spec()["volumes"])
        .iter()
        .filter_map(|v| v["persistentVolumeClaim"]["claimName"].as_str())
        .collect()
}

/// App containers whose database is not on a claim, or on another claim than the rest's.
fn database_claim_problems(manifests: &Manifests) -> Vec<Finding> {
    let app = &manifests.compose;
    let mut openers = Vec::new();
    let mut findings = Vec::new();
    for workload in manifests.workloads() {
        for (field, container) in workload.all_containers() {
            let set = env_value(container, "STOCKAPP_DATABASE");
            if set.is_none() && container["image"] != app.image.as_str() {
                continue;
            }
            let database = set.unwrap_or(&app.default_database);
            let at = match set {
                Some(_) => format!("{field}.env[STOCKAPP_DATABASE]"),
                None => format!("{field} (no STOCKAPP_DATABASE: the app opens {database})"),
            };
            match claim_holding(workload, container, Path::new(database)) {
                Some(claim) => openers.push((workload, at, claim)),
                None => findings.push(problem(
                    &RULE,
                    workload,
                    &at,
                    format!("{database} is not on a PersistentVolumeClaim"),
                )),
            }
        }
    }
    let claims: BTreeSet<&str> = openers.iter().map(|(_, _, claim)| *claim).collect();
    if claims.len() > 1 {
        for (workload, at, claim) in &openers {
            findings.push(problem(
                &RULE,
                workload,
                at,
                format!("is on claim {claim}; the database is split over {claims:?}"),
            ));
        }
    }
    findings
}

fn env_value<'a>(container: &'a Value, variable: &str) -> Option<&'a str> {
    list(&container["env"]).iter().find(|e| e["name"] == variable)?["value"].as_str()
}

/// The claim of the volume mounted at `path`'s directory or above it, if that volume is a claim.
fn claim_holding<'a>(workload: &'a Resource, container: &Value, path: &Path) -> Option<&'a str> {
    let mount = list(&container["volumeMounts"])
        .iter()
        .filter(|m| m["mountPath"].as_str().is_some_and(|dir| path.starts_with(dir)))
        .max_by_key(|m| m["mountPath"].as_str().map_or(0, str::len))?;
    let volume = list(&workload.pod_spec()["volumes"]).iter().find(|v| v["name"] == mount["name"])?;
    volume["persistentVolumeClaim"]["claimName"].as_str()
}

fn affinity_problems(manifests: &Manifests) -> Vec<Finding> {
    let claims: BTreeSet<&str> = manifests.workloads().flat_map(claims_of).collect();
    let mut findings = Vec::new();
    for claim in claims {
        let sharers: Vec<&Resource> = manifests.workloads().filter(|w| claims_of(w).contains(claim)).collect();
        let names: Vec<String> = sharers.iter().map(|w| w.id()).collect();
        for workload in sharers.iter().filter(|w| !requires_node_of_all(w, &sharers)) {
            let field = "spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution";
            let what = format!("has no {HOSTNAME} term selecting every pod of claim {claim} ({})", names.join(", "));
            findings.push(problem(&RULE, workload, field, what));
        }
    }
    findings
}

/// Whether `workload`'s pods require a node running pods labelled like each of `sharers`'.
fn requires_node_of_all(workload: &Resource, sharers: &[&Resource]) -> bool {
    let terms = list(&workload.pod_spec()["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]);
    terms
        .iter()
        .filter(|term| term["topologyKey"] == HOSTNAME)
        .filter_map(own_namespace_labels)
        .any(|wanted| sharers.iter().all(|sharer| wanted.iter().all(|(key, value)| sharer.pod_labels()[key] == *value)))
}

/// The labels an affinity term selects by, when it selects by `matchLabels` alone in the pod's
/// own namespace (the only form judged here).
fn own_namespace_labels(term: &Value) -> Option<&serde_json::Map<String, Value>> {
    let selector = &term["labelSelector"];
    let plain =
        selector["matchExpressions"].is_null() && term["namespaces"].is_null() && term["namespaceSelector"].is_null();
    selector["matchLabels"].as_object().filter(|labels| plain && !labels.is_empty())
}
