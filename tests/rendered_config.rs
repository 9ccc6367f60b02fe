//! The rendered dev and production configurations are reviewed snapshots: any change to the
//! dev workflow or the production stack (service, command, mount, port, limit, variable) shows
//! up as a diff to accept or reject.

mod util;

use std::collections::BTreeMap;

use anyhow::Result;
use stackproof::compose_config::{self, ConfigError};
use stackproof::repo;

/// Only the variables a newcomer would have: none but the public base image.
fn newcomer_env() -> BTreeMap<String, String> {
    BTreeMap::from([("BASE_IMAGE".to_owned(), repo::DEFAULT_BASE_IMAGE.to_owned())])
}

#[tokio::test]
async fn dev_config_matches_the_reviewed_snapshot() -> Result<()> {
    if !util::compose_cli_or_skip("dev_config_matches_the_reviewed_snapshot") {
        return Ok(());
    }
    let rendered = compose_config::render(&[repo::path("compose.yml")], "stackproof", &newcomer_env()).await?;
    insta::assert_yaml_snapshot!("dev_compose_config", compose_config::normalise(rendered, repo::root()));
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

#[tokio::test]
async fn prod_config_matches_the_reviewed_snapshot() -> Result<()> {
    if !util::compose_cli_or_skip("prod_config_matches_the_reviewed_snapshot") {
        return Ok(());
    }
    let rendered = compose_config::render(&[repo::path("compose.prod.yml")], "stackproof-prod", &documented_env()?).await?;
    insta::assert_yaml_snapshot!("prod_compose_config", compose_config::normalise(rendered, repo::root()));
    Ok(())
}

#[tokio::test]
async fn a_broken_compose_file_is_rejected_with_its_key_named() -> Result<()> {
    if !util::compose_cli_or_skip("a_broken_compose_file_is_rejected_with_its_key_named") {
        return Ok(());
    }
    let fixture = repo::path("fixtures/compose/unknown-key.yml");
    let error = compose_config::render(&[&fixture], "broken", &newcomer_env()).await.unwrap_err();
    assert!(matches!(error, ConfigError::Rejected(_)), "{error}");
    assert!(error.to_string().contains("restartt"), "the message names the bad key: {error}");
    Ok(())
}

#[tokio::test]
async fn a_missing_compose_file_is_named() {
    let missing = repo::path("fixtures/compose/does-not-exist.yml");
    let error = compose_config::render(&[&missing], "missing", &newcomer_env()).await.unwrap_err();
    assert!(error.to_string().contains("does-not-exist.yml"), "{error}");
}
