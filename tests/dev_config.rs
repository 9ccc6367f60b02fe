//! The rendered dev configuration is a reviewed snapshot: any change to the dev workflow
//! (service, command, mount, port, variable) shows up as a diff to accept or reject.

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
