//! SP101 secrets-from-files: secrets reach containers as files, never as inline environment values.

use serde_json::Value;

use super::Rule;
use crate::check::{Finding, Kind, Meta, Severity};
use crate::policy::project::Project;

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP101",
        name: "secrets-from-files",
        kind: Kind::Compose,
        severity: Severity::Error,
        summary: "no environment variable that looks secret has an inline value (pass a *_FILE path to a \
                  secret instead), and every top-level secret is read from a file",
        fix: "put the value in a file under secrets/, declare it under top-level secrets: with file:, and pass the service its path (a *_FILE variable)",
    },
    run: check,
};

/// Words that make a variable name look secret.
const SECRET_WORDS: [&str; 5] = ["PASSWORD", "SECRET", "TOKEN", "API_KEY", "PRIVATE_KEY"];

fn check(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (name, service) in project.services() {
        let environment = service.get("environment").and_then(Value::as_object).into_iter().flatten();
        for (variable, value) in environment {
            let inline = value.as_str().map_or(!value.is_null(), |v| !v.is_empty());
            if looks_secret(variable) && inline {
                let at = project.locate(&["services", name, "environment", variable]);
                let message = format!("environment.{variable} is inline; use a *_FILE secret");
                findings.push(RULE.finding(at.with_service(name), message));
            }
        }
    }
    for source in &project.compose {
        let secrets = source.document.get("secrets").and_then(Value::as_object).into_iter().flatten();
        for (secret, definition) in secrets {
            if definition.get("file").is_none() {
                let at = project.locate(&["secrets", secret]);
                findings.push(RULE.finding(at, format!("secrets.{secret} is not read from a file; use file:")));
            }
        }
    }
    findings
}

/// Whether a variable name looks like it holds a secret (and is not a `*_FILE` path to one).
fn looks_secret(variable: &str) -> bool {
    let upper = variable.to_ascii_uppercase();
    !upper.ends_with("_FILE") && SECRET_WORDS.iter().any(|word| upper.contains(word))
}

#[cfg(test)]
mod tests {
    use super::looks_secret;

    #[test]
    fn secret_looking_names_but_not_their_file_variants() {
        for secret in ["DB_PASSWORD", "secret_key", "GITHUB_TOKEN", "STRIPE_API_KEY", "TLS_PRIVATE_KEY"] {
            assert!(looks_secret(secret), "{secret}");
        }
        for plain in ["DB_PASSWORD_FILE", "SECRET_KEY_FILE", "STOCKAPP_ENV", "KEYBOARD"] {
            assert!(!looks_secret(plain), "{plain}");
        }
    }
}
