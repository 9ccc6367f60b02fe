//! SP203 app-matches-compose: the app container runs compose's app image, exposes the port
//! gunicorn binds there, and its probes ask that port: startup and liveness /healthz, readiness
//! /readyz.

use serde_json::Value;

use super::{Rule, problem};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::k8s::{Manifests, list};

/// The Deployment and container that run the app, named after compose's service.
pub const APP: &str = "app";

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP203",
        name: "app-matches-compose",
        kind: Kind::Kubernetes,
        severity: Severity::Error,
        summary: "Deployment/app runs compose's app image on gunicorn's port, with startup and liveness probes \
                  on /healthz and readiness on /readyz at that port",
        fix: "make the image, containerPort and probes of Deployment/app's app container match compose.prod.yml",
    },
    run: check,
};

fn check(manifests: &Manifests) -> Vec<Finding> {
    let Some(deployment) = manifests.find("Deployment", APP) else {
        return vec![RULE.finding(manifests.location(), format!("no Deployment/{APP} among the resources"))];
    };
    let Some((field, container)) = deployment.containers_in("containers").into_iter().find(|(_, c)| c["name"] == APP)
    else {
        return vec![problem(
            &RULE,
            deployment,
            "spec.template.spec.containers",
            format!("has no container named {APP}"),
        )];
    };
    let compose = &manifests.compose;
    let mut findings = Vec::new();
    if container["image"] != compose.image.as_str() {
        let what = format!("is {}, not compose's {}", container["image"], compose.image);
        findings.push(problem(&RULE, deployment, &format!("{field}.image"), what));
    }
    if !list(&container["ports"]).iter().any(|p| p["containerPort"] == compose.port) {
        let what = format!("have no containerPort {}, gunicorn's port", compose.port);
        findings.push(problem(&RULE, deployment, &format!("{field}.ports"), what));
    }
    for (probe, path) in [("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
        let get = &container[probe]["httpGet"];
        let at = format!("{field}.{probe}.httpGet");
        if get["path"] != path {
            findings.push(problem(&RULE, deployment, &format!("{at}.path"), format!("is {}, not {path}", get["path"])));
        }
        if container_port(container, &get["port"]) != Some(compose.port) {
            let what = format!("is {}, not gunicorn's port {}", get["port"], compose.port);
            findings.push(problem(&RULE, deployment, &format!("{at}.port"), what));
        }
    }
    findings
}

/// A port as a number: given as one, or as the name of one of the container's ports.
pub fn container_port(container: &Value, port: &Value) -> Option<u64> {
    port.as_u64().or_else(|| {
        let named = list(&container["ports"]).iter().find(|p| p["name"] == *port)?;
        named["containerPort"].as_u64()
    })
}
