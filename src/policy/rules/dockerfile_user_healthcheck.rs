//! SP105 dockerfile-user-healthcheck: the stage a service runs drops root and checks its own health.

use super::Rule;
use crate::check::{Finding, Kind, Location, Meta, Severity};
use crate::policy::dockerfile::{Dockerfile, Stage};
use crate::policy::project::{Build, Project, Role};

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP105",
        name: "dockerfile-user-healthcheck",
        kind: Kind::Compose,
        severity: Severity::Error,
        summary: "the Dockerfile stage a service builds (its target, else the last) sets USER to a numeric \
                  uid other than 0 and, unless the service is a one-shot, a HEALTHCHECK",
        fix: "end the stage the service builds with `USER <uid>:<gid>` (numeric, not 0) and a HEALTHCHECK that fails when the service is broken",
    },
    run: check,
};

fn check(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (name, service) in project.services() {
        let Some(build) = Build::of(service) else { continue };
        let Some(dockerfile) = build.dockerfile.as_deref().and_then(|path| project.dockerfile(path)) else {
            continue;
        };
        let file = project.relative(&dockerfile.path);
        let Some(stage) = dockerfile.target(build.target) else {
            let at = project.locate(&["services", name, "build", "target"]);
            let target = build.target.unwrap_or_default();
            let message = format!("build.target {target} is not a stage of {}", file.display());
            findings.push(RULE.finding(at.with_service(name), message));
            continue;
        };
        let needs_healthcheck = project.role(name) == Role::Service;
        for (line, message) in problems(dockerfile, stage, needs_healthcheck) {
            findings.push(RULE.finding(Location::file(file.clone(), Some(line)).with_service(name), message));
        }
    }
    findings
}

/// What the stage lacks, with the line to fix.
fn problems(dockerfile: &Dockerfile, stage: &Stage, needs_healthcheck: bool) -> Vec<(usize, String)> {
    let shown = stage.name.as_deref().map_or_else(|| "the final stage".to_owned(), |n| format!("stage {n}"));
    let mut found = Vec::new();
    match dockerfile.inherited(stage, "USER") {
        None => found.push((stage.from.line, format!("{shown} sets no USER, so it runs as root"))),
        Some(user) if !numeric_non_root(&user.args) => {
            found.push((user.line, format!("USER {} in {shown} is not a numeric uid other than 0", user.args)));
        }
        Some(_) => {}
    }
    if needs_healthcheck {
        match dockerfile.inherited(stage, "HEALTHCHECK") {
            None => found.push((stage.from.line, format!("{shown} sets no HEALTHCHECK"))),
            Some(check) if check.args.trim().eq_ignore_ascii_case("NONE") => {
                found.push((check.line, format!("HEALTHCHECK NONE in {shown} disables the check")));
            }
            Some(_) => {}
        }
    }
    found
}

/// `uid[:gid]`, both numeric, uid not 0.
fn numeric_non_root(user: &str) -> bool {
    let (uid, gid) = user.split_once(':').unwrap_or((user, "0"));
    let numeric = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    numeric(uid) && numeric(gid) && !uid.trim_start_matches('0').is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn problems_of(text: &str, target: Option<&str>, needs_healthcheck: bool) -> Vec<(usize, String)> {
        let file = Dockerfile::parse(Path::new("Dockerfile"), text.as_bytes()).unwrap();
        problems(&file, file.target(target).unwrap(), needs_healthcheck)
    }

    #[test]
    fn user_must_be_numeric_and_not_root() {
        for good in ["10001", "10001:10001", "1:0"] {
            assert!(numeric_non_root(good), "{good}");
        }
        for bad in ["0", "00:10", "root", "app:app", "${UID}", ""] {
            assert!(!numeric_non_root(bad), "{bad}");
        }
    }

    #[test]
    fn the_target_stage_inherits_user_and_healthcheck() {
        let text = "FROM a AS base\nUSER 10001\nHEALTHCHECK CMD true\nFROM base AS prod\nFROM a AS debug\nUSER 0\n";
        assert_eq!(problems_of(text, Some("prod"), true), []);
        let debug = problems_of(text, None, true);
        assert_eq!(debug[0], (6, "USER 0 in stage debug is not a numeric uid other than 0".to_owned()));
        assert_eq!(debug[1], (5, "stage debug sets no HEALTHCHECK".to_owned()));
    }

    #[test]
    fn one_shots_need_no_healthcheck_but_none_disables_it() {
        let text = "FROM a\nUSER 10001\nHEALTHCHECK NONE\n";
        assert_eq!(problems_of(text, None, false), []);
        let disabled = (3, "HEALTHCHECK NONE in the final stage disables the check".to_owned());
        assert_eq!(problems_of(text, None, true), [disabled]);
    }
}
