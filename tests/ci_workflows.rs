//! The README gives two commands and `.ci/run` runs its test command; the CI workflows under
//! `ci/workflows/` are well-formed and every command they run names
//! scripts, test targets, binaries and files that exist, so a rename cannot silently break CI.

mod util;

use std::path::Path;

use anyhow::{Context, Result, ensure};
use serde_json::Value;
use stackproof::policy::yaml;
use stackproof::repo;

fn workflows() -> Result<Vec<(String, Value)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(repo::path("ci/workflows"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "yml") {
            let value = yaml::load(&path)?;
            found.push((path.file_name().unwrap_or_default().to_string_lossy().into_owned(), value));
        }
    }
    ensure!(!found.is_empty(), "no workflow in ci/workflows");
    Ok(found)
}

/// What a command refers to that must exist, as repository paths, with why.
fn references(command: &str) -> Vec<(String, String)> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let mut wanted = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let next = words.get(i + 1).copied().unwrap_or_default();
        match *word {
            "--test" => wanted.push((format!("tests/{next}.rs"), format!("test target {next}"))),
            "--bin" => wanted.push((format!("src/bin/{next}.rs"), format!("binary {next}"))),
            "--profile" => wanted.push((next.to_owned(), "load profile".to_owned())),
            w if w.starts_with("ci/") => wanted.push((w.to_owned(), "script".to_owned())),
            _ => {}
        }
    }
    wanted
}

#[test]
fn every_workflow_has_triggers_and_jobs_with_bounded_time() -> Result<()> {
    for (name, workflow) in workflows()? {
        ensure!(workflow.get("on").is_some(), "{name}: no `on:` trigger");
        let jobs = workflow["jobs"].as_object().with_context(|| format!("{name}: no jobs"))?;
        for (job, definition) in jobs {
            ensure!(definition["timeout-minutes"].as_u64().is_some_and(|m| m <= 90), "{name}: job {job} has no timeout <= 90 min");
            ensure!(definition["steps"].as_array().is_some_and(|s| !s.is_empty()), "{name}: job {job} has no steps");
        }
    }
    Ok(())
}

#[test]
fn every_command_names_things_that_exist() -> Result<()> {
    let mut missing = Vec::new();
    for (name, workflow) in workflows()? {
        for command in util::workflow_commands(&workflow) {
            for (path, what) in references(&command) {
                if !repo::path(&path).exists() {
                    missing.push(format!("{name}: {what} {path} does not exist (in `{command}`)"));
                }
                if what == "script" && !is_executable(&repo::path(&path)) {
                    missing.push(format!("{name}: script {path} is not executable"));
                }
            }
        }
    }
    ensure!(missing.is_empty(), "{}", missing.join("\n"));
    Ok(())
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[test]
fn a_renamed_test_target_is_caught() {
    let wanted = references("cargo test --test no_such_target && ci/nope.sh");
    let missing: Vec<_> = wanted.iter().filter(|(path, _)| !repo::path(path).exists()).collect();
    assert_eq!(missing.len(), 2, "{wanted:?}");
}

/// The README gives a newcomer exactly two commands (prepare and run; run every test), and
/// `.ci/run` runs the second one.
#[test]
fn the_readme_gives_two_commands_and_ci_runs_the_test_one() -> Result<()> {
    let readme = std::fs::read_to_string(repo::path("README.md"))?;
    let mut blocks = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if line.trim_start().starts_with("```sh") {
            let body: Vec<&str> = lines.by_ref().take_while(|l| !l.trim_start().starts_with("```")).collect();
            blocks.push(body.join("\n").trim().to_owned());
        }
    }
    ensure!(blocks.len() == 2, "README.md has {} shell command blocks, not two: {blocks:?}", blocks.len());
    let ci_run = std::fs::read_to_string(repo::path(".ci/run"))?;
    ensure!(
        ci_run.lines().any(|line| line.trim() == format!("exec {}", blocks[1])),
        ".ci/run does not exec the README's test command {:?}",
        blocks[1]
    );
    for script in blocks.iter().flat_map(|b| b.split_whitespace()).filter(|w| w.starts_with("ci/")) {
        ensure!(repo::path(script).is_file(), "README.md runs {script}, which does not exist");
    }
    Ok(())
}
