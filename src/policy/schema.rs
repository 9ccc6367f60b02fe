//! The JSON Schemas under `schemas/`, compiled once, and their violations as dotted keys with
//! messages built from each schema property's `description`.

use std::path::Path;
use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use super::error::LoadError;
use super::yaml;

/// One of stackproof's schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// What each service of a production compose file must declare.
    ServicePolicy,
    /// A load test profile under `loadtests/`.
    LoadtestProfile,
    /// The harness config, `stackproof.yml`.
    HarnessConfig,
}

/// One way a document breaks a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where in the document: keys and list indexes, outermost first (a missing key included).
    pub path: Vec<String>,
    /// The key and what is wrong with it, e.g. `read_only must be true (...)`.
    pub message: String,
}

impl Violation {
    /// The dotted key, e.g. `deploy.resources.limits.pids`.
    pub fn key(&self) -> String {
        key(&self.path)
    }
}

struct Compiled {
    document: Value,
    validator: Validator,
}

impl Schema {
    /// Every schema.
    pub const ALL: [Schema; 3] = [Schema::ServicePolicy, Schema::LoadtestProfile, Schema::HarnessConfig];

    fn source(self) -> &'static str {
        match self {
            Schema::ServicePolicy => include_str!("../../schemas/service-policy.schema.json"),
            Schema::LoadtestProfile => include_str!("../../schemas/loadtest-profile.schema.json"),
            Schema::HarnessConfig => include_str!("../../schemas/harness-config.schema.json"),
        }
    }

    fn compiled(self) -> &'static Compiled {
        static COMPILED: [OnceLock<Compiled>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
        COMPILED[self as usize].get_or_init(|| {
            let document: Value = serde_json::from_str(self.source()).expect("bundled schemas are JSON");
            let validator = jsonschema::draft202012::new(&document).expect("bundled schemas compile");
            Compiled { document, validator }
        })
    }

    /// Every violation of this schema by `instance`, sorted by key.
    pub fn violations(self, instance: &Value) -> Vec<Violation> {
        let compiled = self.compiled();
        let mut found: Vec<Violation> =
            compiled.validator.iter_errors(instance).map(|e| violation(&compiled.document, &e)).collect();
        found.sort_by(|a, b| a.path.cmp(&b.path));
        found.dedup();
        found
    }

    /// Reads the YAML (or JSON) file at `path` and lists its violations of this schema.
    pub fn check_file(self, path: &Path) -> Result<Vec<Violation>, LoadError> {
        Ok(self.violations(&yaml::load(path)?))
    }
}

fn violation(schema: &Value, error: &ValidationError<'_>) -> Violation {
    let mut path: Vec<String> = error.instance_path().iter().map(|segment| segment.to_string()).collect();
    let keyword = error.schema_path().as_str();
    let parent = keyword.rsplit_once('/').map_or("", |(parent, _)| parent);
    let described = |pointer: &str| {
        schema.pointer(pointer).and_then(|s| s.get("description")).and_then(Value::as_str).map(str::to_owned)
    };
    let message = match error.kind() {
        ValidationErrorKind::Required { property } => {
            let property = property.as_str().unwrap_or_default();
            path.push(property.to_owned());
            let escaped = property.replace('~', "~0").replace('/', "~1");
            match described(&format!("{parent}/properties/{escaped}")) {
                Some(description) => format!("{} is missing; it {description}", key(&path)),
                None => format!("{} is missing", key(&path)),
            }
        }
        _ => match described(parent) {
            Some(description) => format!("{} {}; it {description}", key(&path), found(error.instance())),
            None => format!("{}: {error}", key(&path)),
        },
    };
    Violation { path, message }
}

/// `is <value>` for short values, else `is invalid`.
fn found(instance: &Value) -> String {
    let shown = instance.to_string();
    match shown.chars().count() <= 60 {
        true => format!("is {shown}"),
        false => "is invalid".to_owned(),
    }
}

fn key(path: &[String]) -> String {
    match path.is_empty() {
        true => "(document)".to_owned(),
        false => path.join("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_bundled_schema_compiles() {
        for schema in Schema::ALL {
            assert!(schema.violations(&json!({})).iter().all(|v| !v.message.is_empty()), "{schema:?}");
        }
    }

    fn hardened_service() -> Value {
        serde_json::from_str(include_str!("../../fixtures/policy/schemas/service-policy/valid.json")).unwrap()
    }

    fn keys(violations: &[Violation]) -> Vec<String> {
        violations.iter().map(Violation::key).collect()
    }

    #[test]
    fn one_shots_need_no_healthcheck_but_must_not_restart_forever() {
        let mut job = hardened_service();
        job.as_object_mut().unwrap().remove("healthcheck");
        job["x-stackproof"] = json!({"role": "oneshot"});
        for restart in ["no", "on-failure", "on-failure:3"] {
            job["restart"] = json!(restart);
            assert_eq!(keys(&Schema::ServicePolicy.violations(&job)), Vec::<String>::new(), "{restart}");
        }
        job["restart"] = json!("always");
        assert_eq!(keys(&Schema::ServicePolicy.violations(&job)), ["restart"]);
        job["x-stackproof"] = json!({"role": "service"});
        assert_eq!(keys(&Schema::ServicePolicy.violations(&job)), ["healthcheck"]);
    }

    #[test]
    fn a_disabled_healthcheck_is_named() {
        let mut service = hardened_service();
        service["healthcheck"] = json!({"test": ["NONE"]});
        let violations = Schema::ServicePolicy.violations(&service);
        assert_eq!(keys(&violations), ["healthcheck.test", "healthcheck.test.0"]);
        assert!(violations[1].message.starts_with("healthcheck.test.0 is \"NONE\"; it must start with CMD"));
    }

    #[test]
    fn a_missing_key_is_named_with_its_description() {
        let violations = Schema::LoadtestProfile.violations(&json!({"name": "smoke"}));
        let users = violations.iter().find(|v| v.key() == "users").expect("users is required");
        assert_eq!(users.message, "users is missing; it must be between 1 and 10000 concurrent users");
    }

    #[test]
    fn a_wrong_value_is_named_with_what_was_found() {
        let violations = Schema::HarnessConfig.violations(&json!({"published_ports": {"proxy": [80, 70000]}}));
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert_eq!(violations[0].key(), "published_ports.proxy.1");
        assert_eq!(violations[0].message, "published_ports.proxy.1 is 70000; it must be a port between 1 and 65535");
    }
}
