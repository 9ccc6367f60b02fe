//! SP102 variables-documented: every variable the compose files use is documented in the env file.

use serde_json::Value;

use super::Rule;
use crate::check::display_path;
use crate::check::{Finding, Kind, Location, Meta, Severity};
use crate::policy::interpolation::references;
use crate::policy::outline::strip_comment;
use crate::policy::project::Project;

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP102",
        name: "variables-documented",
        kind: Kind::Compose,
        severity: Severity::Error,
        summary: "every ${VAR} or $VAR in the compose files (defaults included) is documented in .env.example",
        fix: "document the variable in .env.example with its safe default and a comment saying what it is",
    },
    run: check,
};

fn check(project: &Project) -> Vec<Finding> {
    let env_file = display_path(&project.relative(&project.env.path));
    let mut findings = Vec::new();
    for source in &project.compose {
        let mut used = Vec::new();
        collect(&source.document, &mut used);
        let mut reported: Vec<&str> = Vec::new();
        for name in &used {
            if project.env.documents(name) || reported.contains(&name.as_str()) {
                continue;
            }
            reported.push(name);
            let at = Location::file(project.relative(&source.path), line_of(&source.text, name));
            findings.push(RULE.finding(at, format!("${{{name}}} is used but not documented in {env_file}")));
        }
    }
    findings
}

/// Appends the variables referenced by every string value of `value`, in order.
fn collect(value: &Value, used: &mut Vec<String>) {
    match value {
        Value::String(text) => used.extend(references(text).into_iter().map(str::to_owned)),
        Value::Array(items) => items.iter().for_each(|item| collect(item, used)),
        Value::Object(fields) => fields.values().for_each(|field| collect(field, used)),
        _ => {}
    }
}

/// The first line of `text` that uses `name` outside a comment.
fn line_of(text: &str, name: &str) -> Option<usize> {
    text.lines().position(|line| references(strip_comment(line)).contains(&name)).map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commented_uses_do_not_count() {
        assert_eq!(line_of("# ${A}\nimage: x:${A}\n", "A"), Some(2));
    }
}
