//! Each schema accepts its valid example and names the field its invalid example gets wrong;
//! an invalid harness config is refused naming file, line and key.

use anyhow::{Result, ensure};
use stackproof::policy::harness_config::HarnessConfig;
use stackproof::policy::schema::Schema;
use stackproof::repo;
use stackproof::suite::Suite;

use crate::common::{test, unit};

const EXAMPLES: [(Schema, &str, &str, &str); 3] = [
    (Schema::ServicePolicy, "service-policy/valid.json", "service-policy/invalid.json", "cap_drop"),
    (Schema::LoadtestProfile, "loadtest-profile/valid.yml", "loadtest-profile/invalid.yml", "duration_seconds"),
    (Schema::HarnessConfig, "harness-config/valid.yml", "harness-config/invalid.yml", "published_ports.proxy.1"),
];

fn each_schema_accepts_its_valid_example() -> Result<()> {
    for (schema, valid, _, _) in EXAMPLES {
        let violations = schema.check_file(&repo::path("fixtures/policy/schemas").join(valid))?;
        ensure!(violations.is_empty(), "{valid}: {violations:#?}");
    }
    Ok(())
}

fn each_schema_rejects_its_invalid_example_naming_the_field() -> Result<()> {
    for (schema, _, invalid, field) in EXAMPLES {
        let violations = schema.check_file(&repo::path("fixtures/policy/schemas").join(invalid))?;
        let keys: Vec<String> = violations.iter().map(|v| v.key()).collect();
        ensure!(keys == [field], "{invalid}: {violations:#?}");
        ensure!(violations[0].message.starts_with(field), "{}", violations[0].message);
    }
    Ok(())
}

fn an_invalid_harness_config_names_file_line_and_key() {
    let path = repo::path("fixtures/policy/schemas/harness-config/invalid.yml");
    let error = HarnessConfig::load(&path).unwrap_err().to_string();
    assert!(error.contains("harness-config/invalid.yml:7: published_ports.proxy.1 is 70000"), "{error}");
}

/// The schemas, each shown accepting and refusing.
pub fn suite() -> Suite<()> {
    Suite::plain("schemas")
        .with(test("each-schema-accepts-its-valid-example", each_schema_accepts_its_valid_example))
        .with(test(
            "each-schema-rejects-its-invalid-example-naming-the-field",
            each_schema_rejects_its_invalid_example_naming_the_field,
        ))
        .with(unit(
            "an-invalid-harness-config-names-file-line-and-key",
            an_invalid_harness_config_names_file_line_and_key,
        ))
}
