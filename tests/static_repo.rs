//! This repository's own production stack passes every static rule, and the one thing an
//! operator must add by hand (the secret file, never committed) is caught when missing, which
//! `docker compose config` alone does not notice.

mod util;

use std::io::Write;

use anyhow::Result;
use stackproof::policy::{self, Project, ProjectOptions};
use stackproof::{docker, prod, repo};

fn compose_cli_or_skip(test: &str) -> bool {
    match docker::compose_cli() {
        Ok(()) => true,
        Err(reason) if docker::required_by_env() => panic!("{test}: the compose CLI is required here but {reason}"),
        Err(reason) => {
            let _ = std::io::stderr().write_all(format!("\n*** SKIPPED {test}: {reason} ***\n").as_bytes());
            false
        }
    }
}

/// `.env.example` with its secret path pointing at `secret`, in a temporary file.
fn env_with_secret(secret: &std::path::Path) -> Result<tempfile::NamedTempFile> {
    let example = std::fs::read_to_string(repo::path(".env.example"))?;
    let mut file = tempfile::NamedTempFile::new()?;
    for line in example.lines() {
        let line = if line.starts_with("SECRET_KEY_PATH=") { format!("SECRET_KEY_PATH={}", secret.display()) } else { line.to_owned() };
        writeln!(file, "{line}")?;
    }
    Ok(file)
}

#[tokio::test]
async fn the_production_stack_passes_every_rule() -> Result<()> {
    if !compose_cli_or_skip("the_production_stack_passes_every_rule") {
        return Ok(());
    }
    let secrets = prod::Secrets::generate()?;
    let env = env_with_secret(&secrets.path("secret_key"))?;
    let options = ProjectOptions { dir: repo::root().to_path_buf(), env_file: Some(env.path().to_path_buf()), ..Default::default() };
    let findings = policy::check(&Project::load(&options).await?);
    let shown: Vec<String> = findings.iter().map(|f| f.to_string()).collect();
    assert!(findings.is_empty(), "compose.prod.yml breaks the policy:\n{}", shown.join("\n"));
    Ok(())
}

#[tokio::test]
async fn a_secret_file_not_yet_created_is_reported() -> Result<()> {
    if !compose_cli_or_skip("a_secret_file_not_yet_created_is_reported") {
        return Ok(());
    }
    let options = ProjectOptions { dir: repo::root().to_path_buf(), ..Default::default() };
    let findings = policy::check(&Project::load(&options).await?);
    let shown: Vec<String> = findings.iter().map(|f| f.to_string()).collect();
    assert_eq!(findings.len(), 1, "{shown:#?}");
    assert!(shown[0].contains("SP103") && shown[0].contains("secrets/secret_key"), "{shown:#?}");
    Ok(())
}
