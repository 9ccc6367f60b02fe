//! SP104 base-image-arg: every built image starts from `${BASE_IMAGE}`, so that air-gapped machines
//! can swap in a local base image.

use super::Rule;
use crate::check::{Finding, Kind, Location, Meta, Severity};
use crate::policy::dockerfile::Dockerfile;
use crate::policy::project::{Build, Project};

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP104",
        name: "base-image-arg",
        kind: Kind::Compose,
        severity: Severity::Error,
        summary: "every service with build: passes the BASE_IMAGE build arg, and its Dockerfile declares \
                  ARG BASE_IMAGE and starts FROM ${BASE_IMAGE}",
        fix: "pass `args: {BASE_IMAGE: ${BASE_IMAGE:-debian:bookworm-slim}}` under build:, and start the Dockerfile with `ARG BASE_IMAGE` before `FROM ${BASE_IMAGE}`",
    },
    run: check,
};

fn check(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (name, service) in project.services() {
        let Some(build) = Build::of(service) else { continue };
        let passed = build.args.and_then(|args| args.get("BASE_IMAGE")).is_some_and(|value| !value.is_null());
        if !passed {
            let at = project.locate(&["services", name, "build", "args"]);
            findings.push(RULE.finding(at.with_service(name), "build.args.BASE_IMAGE is not passed"));
        }
        let Some(dockerfile) = build.dockerfile.as_deref().and_then(|path| project.dockerfile(path)) else {
            continue;
        };
        if let Some((line, message)) = first_from_problem(dockerfile) {
            let at = Location::file(project.relative(&dockerfile.path), Some(line));
            findings.push(RULE.finding(at.with_service(name), message));
        }
    }
    findings
}

/// What is wrong with the Dockerfile's start, and on which line.
fn first_from_problem(dockerfile: &Dockerfile) -> Option<(usize, String)> {
    let first = &dockerfile.stages[0];
    if !matches!(first.base.as_str(), "${BASE_IMAGE}" | "$BASE_IMAGE") {
        return Some((first.from.line, format!("first FROM starts from {}, not ${{BASE_IMAGE}}", first.base)));
    }
    let declared = dockerfile.global_args.iter().any(|arg| {
        let name = arg.args.split(['=', ' ']).next().unwrap_or_default();
        name == "BASE_IMAGE"
    });
    (!declared).then(|| (first.from.line, "ARG BASE_IMAGE is not declared before the first FROM".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn problem(text: &str) -> Option<(usize, String)> {
        first_from_problem(&Dockerfile::parse(Path::new("Dockerfile"), text.as_bytes()).unwrap())
    }

    #[test]
    fn the_first_from_must_use_the_declared_arg() {
        assert_eq!(problem("ARG BASE_IMAGE=debian\nFROM ${BASE_IMAGE} AS base\nFROM base\n"), None);
        assert_eq!(problem("ARG BASE_IMAGE\nFROM $BASE_IMAGE\n"), None);
        let pinned = problem("FROM debian:bookworm-slim\n").unwrap();
        assert_eq!(pinned, (1, "first FROM starts from debian:bookworm-slim, not ${BASE_IMAGE}".to_owned()));
        assert!(problem("FROM ${BASE_IMAGE}\n").unwrap().1.contains("ARG BASE_IMAGE is not declared"));
    }
}
