//! SP202 pods-are-hardened: every container of every pod runs as non-root, with a read-only root
//! filesystem, no privilege escalation, no capabilities, the runtime's seccomp profile, CPU and
//! memory limits, and no host namespace. Pod-level settings count where Kubernetes applies them.

use serde_json::Value;

use super::{Rule, problem};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::k8s::{Manifests, list};

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP202",
        name: "pods-are-hardened",
        kind: Kind::Kubernetes,
        severity: Severity::Error,
        summary: "every container runs non-root, read-only, without privilege escalation or capabilities, under \
                  RuntimeDefault seccomp, with CPU and memory limits, and no pod shares a host namespace",
        fix: "set the securityContext fields named (pod or container level), resources.limits, and remove \
              hostNetwork/hostPID/hostIPC",
    },
    run: check,
};

fn check(manifests: &Manifests) -> Vec<Finding> {
    let mut findings = Vec::new();
    for workload in manifests.workloads() {
        let pod = workload.pod_spec();
        for namespace in ["hostNetwork", "hostPID", "hostIPC"] {
            if pod[namespace] == true {
                findings.push(problem(&RULE, workload, &format!("spec.template.spec.{namespace}"), "is true"));
            }
        }
        for (field, container) in workload.all_containers() {
            for (setting, what) in hardening_gaps(container, pod) {
                findings.push(problem(&RULE, workload, &format!("{field}.{setting}"), what));
            }
        }
    }
    findings
}

/// (setting, what is wrong with it) for each hardening rule `container` breaks.
fn hardening_gaps(container: &Value, pod: &Value) -> Vec<(&'static str, &'static str)> {
    let own = &container["securityContext"];
    let effective = |key: &str| if own[key].is_null() { &pod["securityContext"][key] } else { &own[key] };
    let drops_all = list(&own["capabilities"]["drop"]).iter().any(|c| c == "ALL");
    let checks = [
        ("securityContext.runAsNonRoot", *effective("runAsNonRoot") != true, "is not true"),
        ("securityContext.runAsUser", effective("runAsUser").as_u64() == Some(0), "is 0 (root)"),
        ("securityContext.readOnlyRootFilesystem", own["readOnlyRootFilesystem"] != true, "is not true"),
        ("securityContext.allowPrivilegeEscalation", own["allowPrivilegeEscalation"] != false, "is not false"),
        ("securityContext.privileged", own["privileged"] == true, "is true"),
        ("securityContext.capabilities.drop", !drops_all, "does not hold ALL"),
        ("securityContext.capabilities.add", !list(&own["capabilities"]["add"]).is_empty(), "is not empty"),
        (
            "securityContext.seccompProfile.type",
            effective("seccompProfile")["type"] != "RuntimeDefault",
            "is not RuntimeDefault",
        ),
        ("resources.limits.cpu", container["resources"]["limits"]["cpu"].is_null(), "is not set"),
        ("resources.limits.memory", container["resources"]["limits"]["memory"].is_null(), "is not set"),
    ];
    checks.into_iter().filter(|(_, broken, _)| *broken).map(|(setting, _, what)| (setting, what)).collect()
}
