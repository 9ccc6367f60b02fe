//! SP208 network-policy-limits-who-connects: the pods of every Deployment that listens are
//! selected by a NetworkPolicy governing ingress, and every rule of such a policy names who may
//! connect (a selector that is not "everyone") and on which ports.

use serde_json::Value;

use super::{Rule, problem};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::k8s::{Manifests, Resource, list, selects};

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP208",
        name: "network-policy-limits-who-connects",
        kind: Kind::Kubernetes,
        severity: Severity::Error,
        summary: "every listening Deployment's pods are under a NetworkPolicy of type Ingress whose every rule \
                  names narrow sources (no empty from, no all-namespaces, no 0.0.0.0/0) and ports",
        fix: "select the pods with a NetworkPolicy (policyTypes: [Ingress]) allowing only the ingress \
              controller's namespace, on the app's port",
    },
    run: check,
};

fn check(manifests: &Manifests) -> Vec<Finding> {
    let policies: Vec<&Resource> =
        manifests.of_kind("NetworkPolicy").filter(|p| governs_ingress(&p.body["spec"])).collect();
    let mut findings = Vec::new();
    for deployment in manifests.of_kind("Deployment") {
        let listens = deployment.containers_in("containers").iter().any(|(_, c)| !list(&c["ports"]).is_empty());
        if !listens {
            continue;
        }
        let guarding: Vec<&&Resource> =
            policies.iter().filter(|p| selects_pods(&p.body["spec"]["podSelector"], deployment.pod_labels())).collect();
        if guarding.is_empty() {
            findings.push(problem(
                &RULE,
                deployment,
                "spec.template.metadata.labels",
                "are selected by no NetworkPolicy of type Ingress: anyone in the cluster may connect",
            ));
        }
        for policy in guarding {
            findings.extend(open_rules(policy));
        }
    }
    findings
}

/// Whether a NetworkPolicy spec restricts ingress at all.
fn governs_ingress(spec: &Value) -> bool {
    match spec["policyTypes"].as_array() {
        Some(types) => types.iter().any(|t| t == "Ingress"),
        None => true, // Kubernetes' default: Ingress, plus Egress if egress rules are given
    }
}

/// A podSelector selects the pods: `{}` (every pod of the namespace) or matching labels.
fn selects_pods(selector: &Value, labels: &Value) -> bool {
    let match_labels = &selector["matchLabels"];
    let everything =
        match_labels.as_object().is_none_or(serde_json::Map::is_empty) && selector["matchExpressions"].is_null();
    everything || selects(match_labels, labels)
}

fn open_rules(policy: &Resource) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (index, rule) in list(&policy.body["spec"]["ingress"]).iter().enumerate() {
        let at = format!("spec.ingress[{index}]");
        let from = list(&rule["from"]);
        if from.is_empty() {
            findings.push(problem(&RULE, policy, &format!("{at}.from"), "is empty: every source may connect"));
        }
        for (p, peer) in from.iter().enumerate() {
            if let Some(why) = open_peer(peer) {
                findings.push(problem(&RULE, policy, &format!("{at}.from[{p}]"), why));
            }
        }
        if list(&rule["ports"]).is_empty() {
            findings.push(problem(&RULE, policy, &format!("{at}.ports"), "are not listed: every port is open"));
        }
    }
    findings
}

/// Why a `from` peer lets in (nearly) everyone, if it does.
fn open_peer(peer: &Value) -> Option<&'static str> {
    let empty = |v: &Value| {
        v.is_object()
            && v["matchLabels"].as_object().is_none_or(serde_json::Map::is_empty)
            && v["matchExpressions"].is_null()
    };
    if let Some(cidr) = peer["ipBlock"]["cidr"].as_str() {
        return matches!(cidr, "0.0.0.0/0" | "::/0").then_some("allows every address (ipBlock 0.0.0.0/0)");
    }
    if empty(&peer["namespaceSelector"]) && (peer["podSelector"].is_null() || empty(&peer["podSelector"])) {
        return Some("selects every pod of every namespace");
    }
    None
}
