//! SP100 service-schema: every service satisfies `schemas/service-policy.schema.json`.

use serde_json::Value;

use super::Rule;
use crate::check::{Finding, Kind, Meta, Severity};
use crate::policy::project::{EXTENSION, Project};
use crate::policy::schema::Schema;

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP100",
        name: "service-schema",
        kind: Kind::Compose,
        severity: Severity::Error,
        summary: "every service declares a healthcheck, a restart policy, cpu/memory/pids limits, a numeric \
                  non-root user, a read-only root filesystem, cap_drop ALL, no-new-privileges and bounded logs",
        fix: "add the missing key to the service (schemas/service-policy.schema.json says what each needs); a one-shot job declares `x-stackproof: {role: oneshot}`",
    },
    run: check,
};

fn check(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (name, service) in project.services() {
        let mut instance = service.clone();
        // Compose's JSON render drops service-level `x-` keys; the schema needs the role.
        if let (Some(extension), Value::Object(fields)) = (project.extension(name), &mut instance) {
            fields.insert(EXTENSION.to_owned(), extension.clone());
        }
        for violation in Schema::ServicePolicy.violations(&instance) {
            let mut keys = vec!["services", name];
            keys.extend(violation.path.iter().map(String::as_str));
            findings.push(RULE.finding(project.locate(&keys).with_service(name), violation.message));
        }
    }
    findings
}
