//! This repository's own production stack passes every static rule, and the one thing an
//! operator must add by hand (the secret files, never committed) is caught when missing, which
//! `docker compose config` alone does not notice.

use std::io::Write;

use anyhow::Result;
use stackproof::policy::{self, Project, ProjectOptions};
use stackproof::repo;

/// The secrets `.env.example` expects under `./secrets/`: (variable, file name).
fn expected_secrets() -> Result<Vec<(String, String)>> {
    let example = std::fs::read_to_string(repo::path(".env.example"))?;
    Ok(example
        .lines()
        .filter_map(|line| line.split_once("=./secrets/"))
        .map(|(variable, name)| (variable.to_owned(), name.trim().to_owned()))
        .collect())
}

/// `.env.example` with every secret path pointing at a generated file in `dir`.
pub fn env_with_generated_secrets(dir: &std::path::Path) -> Result<tempfile::NamedTempFile> {
    let secrets = expected_secrets()?;
    let mut file = tempfile::NamedTempFile::new()?;
    for line in std::fs::read_to_string(repo::path(".env.example"))?.lines() {
        match secrets.iter().find(|(variable, _)| line.starts_with(&format!("{variable}="))) {
            Some((variable, name)) => {
                let path = dir.join(name);
                std::fs::write(&path, "not-a-real-secret")?;
                writeln!(file, "{variable}={}", path.display())?;
            }
            None => writeln!(file, "{line}")?,
        }
    }
    Ok(file)
}

async fn the_production_stack_passes_every_rule(_: &()) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let env = env_with_generated_secrets(dir.path())?;
    let options = ProjectOptions {
        dir: repo::root().to_path_buf(),
        env_file: Some(env.path().to_path_buf()),
        ..Default::default()
    };
    let findings = policy::check(&Project::load(&options).await?).findings;
    let shown: Vec<String> = findings.iter().map(|f| f.to_string()).collect();
    assert!(findings.is_empty(), "compose.prod.yml breaks the policy:\n{}", shown.join("\n"));
    Ok(())
}

async fn every_secret_file_not_yet_created_is_reported(_: &()) -> Result<()> {
    let secrets = expected_secrets()?;
    assert!(!secrets.is_empty(), ".env.example names no secret file");
    let options = ProjectOptions { dir: repo::root().to_path_buf(), ..Default::default() };
    let findings = policy::check(&Project::load(&options).await?).findings;
    let shown: Vec<String> = findings.iter().map(|f| f.to_string()).collect();
    assert_eq!(findings.len(), secrets.len(), "{shown:#?}");
    for (_, name) in &secrets {
        let reported = shown.iter().any(|f| f.contains("SP103") && f.contains(&format!("secrets/{name}")));
        assert!(reported, "missing secrets/{name} went unreported: {shown:#?}");
    }
    Ok(())
}

/// This repository's own project.
pub fn suite() -> stackproof::suite::Suite<()> {
    stackproof::suite::Suite::plain("repo")
        .requires(stackproof::suite::Requirement::ComposeCli)
        .with(crate::trial!(
            "the-production-stack-passes-every-compose-rule",
            (),
            the_production_stack_passes_every_rule
        ))
        .with(crate::trial!(
            "every-secret-file-not-yet-created-is-reported",
            (),
            every_secret_file_not_yet_created_is_reported
        ))
}
