//! `stackproof check` and `list` as CI runs them: exit codes, one readable line per finding with
//! its fix, skipped checks named with why, SARIF and JUnit reports, the Kubernetes rules run by
//! the same command, and clear errors for malformed input.

use std::path::Path;
use std::process::{Command, Output};

use anyhow::Result;
use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
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

fn the_clean_project_exits_0() -> Result<()> {
    let output = stackproof(&["check", "fixtures/policy/clean"])?;
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
    let said = stdout(&output);
    assert!(said.ends_with("no findings: all 9 checks pass; 10 skipped\n"), "{said}");
    let skipped =
        "SKIPPED [SP200 manifests-load-with-known-kinds]: no kustomization.yaml in fixtures/policy/clean/deploy/k8s\n";
    assert!(said.starts_with(skipped), "the skipped Kubernetes rules are not named with why: {said}");
    Ok(())
}

fn a_broken_project_exits_1_with_a_line_naming_file_service_and_key() -> Result<()> {
    let output = stackproof(&["check", SECRETS])?;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let fix = stackproof::policy::rules::ALL[1].fix;
    let expected = format!(
        "{SECRETS}/compose.yml:23: [SP101 secrets-from-files] service app: environment.DB_PASSWORD is inline; \
         use a *_FILE secret\n    fix: {fix}\n\
         {SECRETS}/compose.yml:26: [SP101 secrets-from-files] secrets.api_token is not read from a file; use file:\n    fix: {fix}\n"
    );
    let said = stdout(&output);
    assert!(said.starts_with(&expected), "{said}\ndoes not start with\n{expected}");
    assert!(said.ends_with("2 findings from 1 of 9 checks; 10 skipped\n"), "{said}");
    Ok(())
}

fn a_finding_in_an_override_points_at_the_override() -> Result<()> {
    let clean = "fixtures/policy/clean";
    let (base, layer) = (format!("{clean}/compose.yml"), format!("{clean}/compose.inline-secret.yml"));
    let output = stackproof(&["check", clean, "--compose", &base, "--compose", &layer])?;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let expected = format!("{layer}:6: [SP101 secrets-from-files] service app: environment.API_TOKEN is inline;");
    assert!(stdout(&output).starts_with(&expected), "{}", stdout(&output));
    Ok(())
}

fn sarif_names_the_rule_file_and_line() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let report = dir.path().join("check.sarif");
    let output = stackproof(&["check", SECRETS, "--sarif", report.to_str().unwrap()])?;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = std::fs::read_to_string(&report)?;
    let sarif: Value = serde_json::from_str(&text)?;
    let run = &sarif["runs"][0];
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        run["tool"]["driver"]["rules"].as_array().map(Vec::len),
        Some(19),
        "9 compose rules ran, 10 Kubernetes rules skipped"
    );
    assert_eq!(run["invocations"][0]["toolExecutionNotifications"].as_array().map(Vec::len), Some(10));
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
    insta::with_settings!({snapshot_path => repo::path("tests/snapshots"), prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("static_cli__sp101_sarif", portable);
    });
    Ok(())
}

fn junit_has_a_testcase_per_rule_and_a_failure_per_finding() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let report = dir.path().join("check.xml");
    let output = stackproof(&["check", SECRETS, "--junit", report.to_str().unwrap()])?;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let (testcases, failures) = junit_counts(&report)?;
    assert_eq!(testcases.len(), 19, "9 compose rules, 10 skipped Kubernetes rules");
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

fn malformed_yaml_exits_2_naming_file_and_line() -> Result<()> {
    let output = stackproof(&["check", "fixtures/policy/malformed/yaml"])?;
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    let said = stderr(&output);
    assert!(said.starts_with("error: fixtures/policy/malformed/yaml/compose.yml:5:4: invalid YAML"), "{said}");
    Ok(())
}

fn without_the_compose_cli_the_error_says_what_could_not_run() -> Result<()> {
    let output = Command::new(env!("CARGO_BIN_EXE_stackproof"))
        .args(["check", "fixtures/policy/clean"])
        .current_dir(repo::root())
        .env("PATH", "/nonexistent")
        .output()?;
    assert_eq!(output.status.code(), Some(2));
    let said = stderr(&output);
    assert!(said.contains("could not start `docker compose"), "{said}");
    assert!(said.contains("fixtures/policy/clean/compose.yml"), "{said}");
    Ok(())
}

fn a_missing_env_file_or_bad_option_exits_2() -> Result<()> {
    let missing = stackproof(&["check", "fixtures/policy/clean", "--env-file", "no/such/.env"])?;
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("no/such/.env: cannot read"), "{}", stderr(&missing));
    let usage = stackproof(&["check", "--no-such-option"])?;
    assert_eq!(usage.status.code(), Some(2));
    Ok(())
}

fn list_prints_every_check_of_every_kind() -> Result<()> {
    for args in [&["check", "--list-rules"][..], &["list"]] {
        let output = stackproof(args)?;
        assert_eq!(output.status.code(), Some(0));
        let listed = stdout(&output);
        for meta in stackproof::check::catalog() {
            assert!(
                listed.lines().any(|l| l.starts_with(meta.id) && l.contains(meta.name)),
                "{args:?} does not list {}:\n{listed}",
                meta.label()
            );
        }
    }
    let edge = stdout(&stackproof(&["list", "--kind", "edge"])?);
    assert!(!edge.is_empty() && edge.lines().all(|l| l.starts_with("SP4")), "{edge}");
    let nonsense = stackproof(&["list", "--kind", "nonsense"])?;
    assert_eq!(nonsense.status.code(), Some(2));
    assert!(stderr(&nonsense).contains("--kind \"nonsense\" is not one of"), "{}", stderr(&nonsense));
    Ok(())
}

/// The repository (with throwaway secret files, as an operator has them): every compose and
/// Kubernetes rule runs and passes, and the SARIF lists both kinds.
fn the_repository_passes_compose_and_kubernetes_rules() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let env = crate::repo::env_with_generated_secrets(dir.path())?;
    let sarif = dir.path().join("check.sarif");
    let output =
        stackproof(&["check", ".", "--env-file", env.path().to_str().unwrap(), "--sarif", sarif.to_str().unwrap()])?;
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
    assert!(stdout(&output).ends_with("no findings: all 19 checks pass\n"), "{}", stdout(&output));
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&sarif)?)?;
    let ids: Vec<&str> = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert!(ids.contains(&"SP101") && ids.contains(&"SP207"), "{ids:?}");
    Ok(())
}

/// A Kubernetes case checked through the CLI: an Ingress without TLS is found with its file and
/// line, and exits 1.
fn a_kubernetes_case_fails_the_cli_with_its_rule() -> Result<()> {
    let dir = tempfile::tempdir()?;
    stackproof::check::case::copy_tree(repo::root(), &["deploy/k8s"], dir.path())?;
    let case = stackproof::check::case::load(&repo::path("fixtures/k8s/ingress-without-tls"))?;
    case.apply(&dir.path().join("deploy/k8s"))?;
    let secrets = tempfile::tempdir()?;
    let env = crate::repo::env_with_generated_secrets(secrets.path())?;
    let k8s = dir.path().join("deploy/k8s");
    let output =
        stackproof(&["check", ".", "--env-file", env.path().to_str().unwrap(), "--k8s", k8s.to_str().unwrap()])?;
    assert_eq!(output.status.code(), Some(1), "{}{}", stdout(&output), stderr(&output));
    assert!(
        stdout(&output).contains("ingress.yaml:7: [SP207 ingress-serves-https-only] service Ingress/app:"),
        "{}",
        stdout(&output)
    );
    let missing = stackproof(&["check", ".", "--env-file", env.path().to_str().unwrap(), "--k8s", "no/such/dir"])?;
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("no/such/dir: no kustomization.yaml there"), "{}", stderr(&missing));
    Ok(())
}

/// The CLI.
pub fn suite() -> stackproof::suite::Suite<()> {
    use crate::common::test;
    stackproof::suite::Suite::plain("cli")
        .requires(stackproof::suite::Requirement::ComposeCli)
        .with(test("the-clean-project-exits-0-naming-the-skipped-checks", the_clean_project_exits_0))
        .with(test(
            "a-broken-project-exits-1-with-a-line-naming-file-service-key-and-fix",
            a_broken_project_exits_1_with_a_line_naming_file_service_and_key,
        ))
        .with(test("a-finding-in-an-override-points-at-the-override", a_finding_in_an_override_points_at_the_override))
        .with(test("sarif-names-the-check-file-line-and-fix", sarif_names_the_rule_file_and_line))
        .with(test(
            "junit-has-a-testcase-per-check-and-a-failure-per-finding",
            junit_has_a_testcase_per_rule_and_a_failure_per_finding,
        ))
        .with(test("malformed-yaml-exits-2-naming-file-and-line", malformed_yaml_exits_2_naming_file_and_line))
        .with(test(
            "without-the-compose-cli-the-error-says-what-could-not-run",
            without_the_compose_cli_the_error_says_what_could_not_run,
        ))
        .with(test("a-missing-env-file-or-bad-option-exits-2", a_missing_env_file_or_bad_option_exits_2))
        .with(test("list-prints-every-check-of-every-kind", list_prints_every_check_of_every_kind))
        .with(test(
            "the-repository-passes-compose-and-kubernetes-rules",
            the_repository_passes_compose_and_kubernetes_rules,
        ))
        .with(test("a-kubernetes-case-fails-the-cli-with-its-rule", a_kubernetes_case_fails_the_cli_with_its_rule))
}
