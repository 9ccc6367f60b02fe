//! The rendered dev and production configurations are reviewed snapshots: any change to the
//! dev workflow or the production stack (service, command, mount, port, limit, variable) shows
//! up as a diff to accept or reject.

use std::collections::BTreeMap;

use anyhow::Result;
use stackproof::compose_config::{self, ConfigError};
use stackproof::repo;

/// Only the variables a newcomer would have: none but the public base image.
fn newcomer_env() -> BTreeMap<String, String> {
    BTreeMap::from([("BASE_IMAGE".to_owned(), repo::DEFAULT_BASE_IMAGE.to_owned())])
}

async fn dev_config_matches_the_reviewed_snapshot(_: &()) -> Result<()> {
    let rendered = compose_config::render(&[repo::path("compose.yml")], "stackproof", &newcomer_env()).await?;
    snapshot("dev_compose_config", compose_config::normalise(rendered, repo::root()));
    Ok(())
}

/// The documented defaults of `.env.example`, every profile on.
fn documented_env() -> Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(repo::path(".env.example"))?;
    let mut env: BTreeMap<String, String> = text
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .collect();
    env.insert("COMPOSE_PROFILES".to_owned(), "*".to_owned());
    Ok(env)
}

async fn prod_config_matches_the_reviewed_snapshot(_: &()) -> Result<()> {
    let rendered =
        compose_config::render(&[repo::path("compose.prod.yml")], "stackproof-prod", &documented_env()?).await?;
    snapshot("prod_compose_config", compose_config::normalise(rendered, repo::root()));
    Ok(())
}

async fn a_broken_compose_file_is_rejected_with_its_key_named(_: &()) -> Result<()> {
    let fixture = repo::path("fixtures/compose/unknown-key.yml");
    let error = compose_config::render(&[&fixture], "broken", &newcomer_env()).await.unwrap_err();
    assert!(matches!(error, ConfigError::Rejected(_)), "{error}");
    assert!(error.to_string().contains("restartt"), "the message names the bad key: {error}");
    Ok(())
}

async fn a_missing_compose_file_is_named(_: &()) -> Result<()> {
    let missing = repo::path("fixtures/compose/does-not-exist.yml");
    let error = compose_config::render(&[&missing], "missing", &newcomer_env()).await.unwrap_err();
    anyhow::ensure!(error.to_string().contains("does-not-exist.yml"), "{error}");
    Ok(())
}

/// Compares `value` with the reviewed snapshot `name` (tests/snapshots/rendered_config__NAME.snap).
fn snapshot(name: &str, value: serde_json::Value) {
    insta::with_settings!({snapshot_path => repo::path("tests/snapshots"), prepend_module_to_snapshot => false}, {
        insta::assert_yaml_snapshot!(format!("rendered_config__{name}"), value);
    });
}

/// The rendered configs and the render's errors.
pub fn suite() -> stackproof::suite::Suite<()> {
    stackproof::suite::Suite::plain("render")
        .requires(stackproof::suite::Requirement::ComposeCli)
        .with(crate::trial!(
            "the-dev-config-matches-the-reviewed-snapshot",
            (),
            dev_config_matches_the_reviewed_snapshot
        ))
        .with(crate::trial!(
            "the-prod-config-matches-the-reviewed-snapshot",
            (),
            prod_config_matches_the_reviewed_snapshot
        ))
        .with(crate::trial!(
            "a-broken-compose-file-is-rejected-with-its-key-named",
            (),
            a_broken_compose_file_is_rejected_with_its_key_named
        ))
        .with(crate::trial!("a-missing-compose-file-is-named", (), a_missing_compose_file_is_named))
}
