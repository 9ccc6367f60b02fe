//! `stackproof check` as CI runs it: exit codes, one readable line per finding, SARIF and JUnit
//! reports, and clear errors for malformed input.

mod util;

use std::path::Path;
use std::process::{Command, Output};

use anyhow::Result;
use quick_xml::{Reader, XmlVersion};
use quick_xml::events::Event;
use serde_json::Value;
use stackproof::repo;

const SECRETS: &str = "fixtures/policy/projects/sp101-secrets-from-files";

/// Runs the built binary from the repository root.
fn stackproof(args: &[&str]) -> Result<Output> {
    Ok(Command::new(env!("CARGO_BIN_EXE_stackproof")).args(args).current_dir(repo::root()).output()?)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn the_clean_project_exits_0() -> Result<()> {
    if !util::compose_cli_or_skip("the_clean_project_exits_0") {
        return Ok(());
    }
    let output = stackproof(&["check", "fixtures/policy/projects/clean"])?;
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
    assert_eq!(stdout(&output), "no findings: all 8 rules pass\n");
    Ok(())
}

#[test]
fn a_broken_project_exits_1_with_a_line_naming_file_service_and_key() -> Result<()> {
    if !util::compose_cli_or_skip("a_broken_project_exits_1_with_a_line_naming_file_service_and_key") {
        return Ok(());
    }
    let output = stackproof(&["check", SECRETS])?;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let expected = format!(
        "{SECRETS}/compose.yml:23: [SP101 secrets-from-files] service app: environment.DB_PASSWORD is inline; \
         use a *_FILE secret\n\
         {SECRETS}/compose.yml:26: [SP101 secrets-from-files] secrets.api_token is not read from a file; use file:\n\
         2 findings from 1 of 8 rules\n"
    );
    assert_eq!(stdout(&output), expected);
    Ok(())
}

#[test]
fn a_finding_in_an_override_points_at_the_override() -> Result<()> {
    if !util::compose_cli_or_skip("a_finding_in_an_override_points_at_the_override") {
        return Ok(());
    }
    let clean = "fixtures/policy/projects/clean";
    let (base, layer) = (format!("{clean}/compose.yml"), format!("{clean}/compose.inline-secret.yml"));
    let output = stackproof(&["check", clean, "--compose", &base, "--compose", &layer])?;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let expected = format!("{layer}:6: [SP101 secrets-from-files] service app: environment.API_TOKEN is inline;");
    assert!(stdout(&output).starts_with(&expected), "{}", stdout(&output));
    Ok(())
}

#[test]
fn sarif_names_the_rule_file_and_line() -> Result<()> {
    if !util::compose_cli_or_skip("sarif_names_the_rule_file_and_line") {
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let report = dir.path().join("check.sarif");
    let output = stackproof(&["check", SECRETS, "--sarif", report.to_str().unwrap()])?;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = std::fs::read_to_string(&report)?;
    let sarif: Value = serde_json::from_str(&text)?;
    let run = &sarif["runs"][0];
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(run["tool"]["driver"]["rules"].as_array().map(Vec::len), Some(8));
    let first = &run["results"][0];
    assert_eq!(first["ruleId"], "SP101");
    assert_eq!(first["level"], "error");
    let location = &first["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "compose.yml");
    assert_eq!(location["region"]["startLine"], 23);
    let mut portable = text.clone();
    for root in [std::fs::canonicalize(repo::root())?, repo::root().to_path_buf()] {
        portable = portable.replace(root.to_string_lossy().as_ref(), "$REPO");
    }
    insta::assert_snapshot!("sp101_sarif", portable);
    Ok(())
}

#[test]
fn junit_has_a_testcase_per_rule_and_a_failure_per_finding() -> Result<()> {
    if !util::compose_cli_or_skip("junit_has_a_testcase_per_rule_and_a_failure_per_finding") {
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let report = dir.path().join("check.xml");
    let output = stackproof(&["check", SECRETS, "--junit", report.to_str().unwrap()])?;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let (testcases, failures) = junit_counts(&report)?;
    assert_eq!(testcases.len(), 8);
    assert!(testcases.contains(&"SP101 secrets-from-files".to_owned()), "{testcases:?}");
    assert_eq!(failures, ["SP101", "SP101"]);
    Ok(())
}

/// The test case names and failure types of a JUnit file, which must be well-formed XML.
fn junit_counts(path: &Path) -> Result<(Vec<String>, Vec<String>)> {
    let mut reader = Reader::from_file(path)?;
    let (mut testcases, mut failures, mut buffer) = (Vec::new(), Vec::new(), Vec::new());
    loop {
        match reader.read_event_into(&mut buffer)? {
            Event::Eof => break,
            Event::Start(element) | Event::Empty(element) => {
                let attribute = |name: &str| -> Result<String> {
                    let found = element.try_get_attribute(name)?.ok_or_else(|| anyhow::anyhow!("no {name}"))?;
                    Ok(found.normalized_value(XmlVersion::Implicit1_0)?.into_owned())
                };
                match element.name().as_ref() {
                    "testcase" => testcases.push(attribute("name")?),
                    "failure" => failures.push(attribute("type")?),
                    _ => {}
                }
            }
            _ => {}
        }
        buffer.clear();
    }
    Ok((testcases, failures))
}

#[test]
fn malformed_yaml_exits_2_naming_file_and_line() -> Result<()> {
    let output = stackproof(&["check", "fixtures/policy/malformed/yaml"])?;
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    let said = stderr(&output);
    assert!(said.starts_with("error: fixtures/policy/malformed/yaml/compose.yml:5:4: invalid YAML"), "{said}");
    Ok(())
}

#[test]
fn without_the_compose_cli_the_error_says_what_could_not_run() -> Result<()> {
    let output = Command::new(env!("CARGO_BIN_EXE_stackproof"))
        .args(["check", "fixtures/policy/projects/clean"])
        .current_dir(repo::root())
        .env("PATH", "/nonexistent")
        .output()?;
    assert_eq!(output.status.code(), Some(2));
    let said = stderr(&output);
    assert!(said.contains("could not start `docker compose"), "{said}");
    assert!(said.contains("fixtures/policy/projects/clean/compose.yml"), "{said}");
    Ok(())
}

#[test]
fn a_missing_env_file_or_bad_option_exits_2() -> Result<()> {
    let missing = stackproof(&["check", "fixtures/policy/projects/clean", "--env-file", "no/such/.env"])?;
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("no/such/.env: cannot read"), "{}", stderr(&missing));
    let usage = stackproof(&["check", "--no-such-option"])?;
    assert_eq!(usage.status.code(), Some(2));
    Ok(())
}

#[test]
fn list_rules_prints_every_rule_id_and_name() -> Result<()> {
    let output = stackproof(&["check", "--list-rules"])?;
    assert_eq!(output.status.code(), Some(0));
    let listed = stdout(&output);
    for rule in stackproof::policy::rules::ALL {
        assert!(listed.contains(&format!("{}  {}", rule.id, rule.name)), "{listed}");
    }
    Ok(())
}
