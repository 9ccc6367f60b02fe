//! SP311 has-a-healthcheck: a real one; `NONE` (an image's HEALTHCHECK NONE, or compose's
//! `disable: true`) is none. One-shot jobs are exempt.

use serde_json::Value;

use super::{Rule, flag};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::hardening::Container;

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP311",
        name: "has-a-healthcheck",
        kind: Kind::Hardening,
        severity: Severity::Error,
        summary: "a long-running container has a healthcheck that runs a command (not NONE, not disabled)",
        fix: "give the service (or its image) a healthcheck that fails when the service is broken",
    },
    run: check,
};

/// Whether a container's `Config.Healthcheck` runs a command.
pub fn runs_a_command(healthcheck: Option<&Value>) -> bool {
    let test = healthcheck.and_then(|h| h.get("Test")).and_then(Value::as_array);
    match test.and_then(|t| t.first()).and_then(Value::as_str) {
        Some("CMD" | "CMD-SHELL") => test.is_some_and(|t| t.len() > 1),
        _ => false,
    }
}

fn check(container: &Container) -> Vec<Finding> {
    let healthcheck = container.facts.config.healthcheck.as_ref();
    let what = match healthcheck {
        None => "has no healthcheck".to_owned(),
        Some(h) => format!("has no healthcheck that runs a command ({})", h["Test"]),
    };
    flag(&RULE, container, !container.allowance.one_shot && !runs_a_command(healthcheck), what)
}

#[cfg(test)]
mod tests {
    use super::runs_a_command;
    use serde_json::json;

    #[test]
    fn none_disabled_and_empty_healthchecks_run_nothing() {
        assert!(runs_a_command(Some(&json!({"Test": ["CMD", "true"]}))));
        assert!(runs_a_command(Some(&json!({"Test": ["CMD-SHELL", "curl -f localhost"]}))));
        for none in [json!({"Test": ["NONE"]}), json!({"Test": []}), json!({"Test": ["CMD"]}), json!({})] {
            assert!(!runs_a_command(Some(&none)), "{none}");
        }
        assert!(!runs_a_command(None));
    }
}
