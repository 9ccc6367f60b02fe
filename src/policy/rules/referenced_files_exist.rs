//! SP103 referenced-files-exist: every file the project points at is there (compose itself does
//! not notice a missing secret file until `up`).

use std::path::Path;

use serde_json::Value;

use super::Rule;
use crate::check::display_path;
use crate::check::{Finding, Kind, Meta, Severity};
use crate::policy::project::{Build, Project};

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP103",
        name: "referenced-files-exist",
        kind: Kind::Compose,
        severity: Severity::Error,
        summary: "every secret and config file:, bind-mount source inside the project, build context and \
                  Dockerfile exists",
        fix: "create the file (for secrets, docs/deploy.md says how and with which owner and mode) or correct the path",
    },
    run: check,
};

fn check(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    let shown = |path: &Path| display_path(&project.relative(path));
    for kind in ["secrets", "configs"] {
        let entries = project.rendered.get(kind).and_then(Value::as_object).into_iter().flatten();
        for (name, definition) in entries {
            let Some(file) = definition.get("file").and_then(Value::as_str).map(Path::new) else { continue };
            if !file.exists() {
                let at = project.locate(&[kind, name, "file"]);
                findings.push(RULE.finding(at, format!("{kind}.{name}.file {} does not exist", shown(file))));
            }
        }
    }
    for (name, service) in project.services() {
        let volumes = service.get("volumes").and_then(Value::as_array).into_iter().flatten();
        for (index, volume) in volumes.enumerate() {
            let bind = volume.get("type").and_then(Value::as_str) == Some("bind");
            let Some(source) = volume.get("source").and_then(Value::as_str).map(Path::new) else { continue };
            // Host paths outside the project belong to the machine it runs on, not to the repository.
            if bind && project.contains(source) && !source.exists() {
                let at = project.locate(&["services", name, "volumes", &index.to_string()]);
                let message = format!("volumes.{index} binds {}, which does not exist", shown(source));
                findings.push(RULE.finding(at.with_service(name), message));
            }
        }
        let Some(build) = Build::of(service) else { continue };
        let context = Path::new(build.context);
        let missing = match build.dockerfile {
            Some(_) if !context.is_dir() => Some(("context", context.to_path_buf())),
            Some(dockerfile) if !dockerfile.is_file() => Some(("dockerfile", dockerfile)),
            _ => None,
        };
        if let Some((key, path)) = missing {
            let at = project.locate(&["services", name, "build", key]);
            findings.push(RULE.finding(at.with_service(name), format!("build.{key} {} does not exist", shown(&path))));
        }
    }
    findings
}
