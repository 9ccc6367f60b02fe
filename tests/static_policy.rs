//! The static policy: every rule rejects the fixture project that breaks it, and only with its
//! own id; the clean project passes every rule; each schema accepts its valid example and names
//! the field its invalid example gets wrong. Needs the compose CLI (no engine) to render.

mod util;

use std::path::PathBuf;

use anyhow::Result;
use rstest::rstest;
use stackproof::policy::harness_config::HarnessConfig;
use stackproof::policy::schema::Schema;
use stackproof::policy::{self, Finding, Project, ProjectOptions, Role, rules};
use stackproof::repo;

fn fixture_project(name: &str) -> PathBuf {
    repo::path("fixtures/policy/projects").join(name)
}

async fn load(name: &str) -> Result<Project> {
    Ok(Project::load(&ProjectOptions { dir: fixture_project(name), ..ProjectOptions::default() }).await?)
}

async fn findings(name: &str) -> Result<Vec<Finding>> {
    Ok(policy::check(&load(name).await?))
}

#[rstest]
#[case::service_schema("sp100-service-schema", "SP100", "deploy.resources.limits.pids is missing")]
#[case::secrets_from_files("sp101-secrets-from-files", "SP101", "environment.DB_PASSWORD is inline")]
#[case::variables_documented("sp102-variables-documented", "SP102", "${APP_TAG} is used but not documented")]
#[case::referenced_files_exist("sp103-referenced-files-exist", "SP103", "secrets.db_password.file")]
#[case::base_image_arg("sp104-base-image-arg", "SP104", "build.args.BASE_IMAGE is not passed")]
#[case::dockerfile_user_healthcheck("sp105-dockerfile-user-healthcheck", "SP105", "sets no HEALTHCHECK")]
#[case::no_docker_socket("sp106-no-docker-socket", "SP106", "volumes.0 mounts the Docker socket")]
#[case::published_ports("sp107-published-ports", "SP107", "ports.0 publishes host port 8000")]
#[tokio::test]
async fn each_broken_project_fails_with_exactly_its_rule(
    #[case] fixture: &str,
    #[case] rule: &str,
    #[case] says: &str,
) -> Result<()> {
    if !util::compose_cli_or_skip(&format!("each_broken_project_fails_with_exactly_its_rule::{fixture}")) {
        return Ok(());
    }
    let found = findings(fixture).await?;
    assert!(!found.is_empty(), "{fixture} passed every rule");
    for finding in &found {
        assert_eq!(finding.rule.id, rule, "{fixture} breaks another rule too: {finding}");
        assert!(finding.at.line.is_some(), "{fixture}: no line for {finding}");
    }
    assert!(found.iter().any(|f| f.message.contains(says)), "{fixture}: no finding says {says:?}: {found:#?}");
    Ok(())
}

#[test]
fn every_rule_has_a_fixture_project_named_for_it() {
    for rule in rules::ALL {
        let dir = fixture_project(&format!("{}-{}", rule.id.to_lowercase(), rule.name));
        assert!(dir.join("compose.yml").is_file(), "{rule:?} has no fixture project at {}", dir.display());
    }
}

#[tokio::test]
async fn the_clean_project_passes_every_rule() -> Result<()> {
    if !util::compose_cli_or_skip("the_clean_project_passes_every_rule") {
        return Ok(());
    }
    let found = findings("clean").await?;
    assert!(found.is_empty(), "{}", found.iter().map(|f| format!("{f}\n")).collect::<String>());
    Ok(())
}

#[tokio::test]
async fn one_shots_are_known_from_the_compose_file_which_the_json_render_drops() -> Result<()> {
    if !util::compose_cli_or_skip("one_shots_are_known_from_the_compose_file_which_the_json_render_drops") {
        return Ok(());
    }
    let project = load("clean").await?;
    let rendered_migrate = &project.rendered["services"]["migrate"];
    assert!(rendered_migrate.get(policy::EXTENSION).is_none(), "compose now keeps x- keys: simplify SP100");
    assert_eq!(project.role("migrate"), Role::Oneshot);
    assert_eq!(project.role("app"), Role::Service);
    Ok(())
}

#[rstest]
#[case::service_policy(Schema::ServicePolicy, "service-policy/valid.json")]
#[case::loadtest_profile(Schema::LoadtestProfile, "loadtest-profile/valid.yml")]
#[case::harness_config(Schema::HarnessConfig, "harness-config/valid.yml")]
fn each_schema_accepts_its_valid_example(#[case] schema: Schema, #[case] example: &str) -> Result<()> {
    let violations = schema.check_file(&repo::path("fixtures/policy/schemas").join(example))?;
    assert!(violations.is_empty(), "{example}: {violations:#?}");
    Ok(())
}

#[rstest]
#[case::service_policy(Schema::ServicePolicy, "service-policy/invalid.json", "cap_drop")]
#[case::loadtest_profile(Schema::LoadtestProfile, "loadtest-profile/invalid.yml", "duration_seconds")]
#[case::harness_config(Schema::HarnessConfig, "harness-config/invalid.yml", "published_ports.proxy.1")]
fn each_schema_rejects_its_invalid_example_naming_the_field(
    #[case] schema: Schema,
    #[case] example: &str,
    #[case] field: &str,
) -> Result<()> {
    let violations = schema.check_file(&repo::path("fixtures/policy/schemas").join(example))?;
    let keys: Vec<String> = violations.iter().map(|v| v.key()).collect();
    assert_eq!(keys, [field], "{example}: {violations:#?}");
    assert!(violations[0].message.starts_with(field), "{}", violations[0].message);
    Ok(())
}

#[test]
fn an_invalid_harness_config_names_file_line_and_key() {
    let path = repo::path("fixtures/policy/schemas/harness-config/invalid.yml");
    let error = HarnessConfig::load(&path).unwrap_err().to_string();
    assert!(error.contains("harness-config/invalid.yml:7: published_ports.proxy.1 is 70000"), "{error}");
}
