//! SP207 ingress-serves-https-only: every host an Ingress serves is covered by its `tls`
//! section (with a certificate Secret), no rule serves any host without one, and HTTPS redirects
//! are not switched off.

use std::collections::BTreeSet;

use super::{Rule, problem};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::k8s::{Manifests, list};

/// The annotation that lets an ingress-nginx controller answer plain HTTP with content.
const REDIRECT_OFF: [&str; 1] = ["nginx.ingress.kubernetes.io/ssl-redirect"];

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP207",
        name: "ingress-serves-https-only",
        kind: Kind::Kubernetes,
        severity: Severity::Error,
        summary: "every Ingress host is listed under spec.tls with a certificate Secret, every rule names a host, \
                  and HTTPS redirects are not turned off",
        fix: "list each rule's host under spec.tls with a secretName (cert-manager fills it), and remove \
              ssl-redirect: \"false\"",
    },
    run: check,
};

fn check(manifests: &Manifests) -> Vec<Finding> {
    let mut findings = Vec::new();
    for ingress in manifests.of_kind("Ingress") {
        let spec = &ingress.body["spec"];
        let mut covered = BTreeSet::new();
        for (index, tls) in list(&spec["tls"]).iter().enumerate() {
            if tls["secretName"].as_str().is_none_or(str::is_empty) {
                findings.push(problem(
                    &RULE,
                    ingress,
                    &format!("spec.tls[{index}].secretName"),
                    "is not set: no certificate is served",
                ));
            }
            covered.extend(list(&tls["hosts"]).iter().filter_map(|h| h.as_str()));
        }
        for (index, rule) in list(&spec["rules"]).iter().enumerate() {
            match rule["host"].as_str() {
                None => findings.push(problem(
                    &RULE,
                    ingress,
                    &format!("spec.rules[{index}].host"),
                    "is not set: the rule serves any name, without TLS",
                )),
                Some(host) if !covered.contains(host) => {
                    findings.push(problem(
                        &RULE,
                        ingress,
                        &format!("spec.rules[{index}].host"),
                        format!("{host} is not under spec.tls: it is served over plain HTTP"),
                    ));
                }
                Some(_) => {}
            }
        }
        if !spec["defaultBackend"].is_null() {
            findings.push(problem(
                &RULE,
                ingress,
                "spec.defaultBackend",
                "serves every unmatched name, without a certificate for it",
            ));
        }
        for annotation in REDIRECT_OFF {
            if ingress.body["metadata"]["annotations"][annotation] == "false" {
                findings.push(problem(
                    &RULE,
                    ingress,
                    &format!("metadata.annotations[{annotation}]"),
                    "is \"false\": plain HTTP is answered, not redirected",
                ));
            }
        }
    }
    findings
}
