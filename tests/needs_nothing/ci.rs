//! The README gives two commands and `.ci/run` runs its test command; the CI workflows under
//! `ci/workflows/` are well-formed, every command they run names scripts, test targets, binaries
//! and files that exist (a rename cannot silently break CI), and the fast job's tests are derived
//! from how the test binaries are grouped (by what they need), not from a hand-kept list.

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
            "--test" => {
                let pattern = next.trim_matches(['\'', '"']);
                if !test_targets().iter().any(|t| glob(pattern, t)) {
                    wanted.push((format!("tests/{pattern}.rs"), format!("test target {pattern}")));
                }
            }
            "--bin" => wanted.push((format!("src/bin/{next}.rs"), format!("binary {next}"))),
            "--profile" => wanted.push((next.to_owned(), "load profile".to_owned())),
            w if w.starts_with("ci/") => wanted.push((w.to_owned(), "script".to_owned())),
            _ => {}
        }
    }
    wanted
}

fn every_workflow_has_triggers_and_jobs_with_bounded_time() -> Result<()> {
    for (name, workflow) in workflows()? {
        ensure!(workflow.get("on").is_some(), "{name}: no `on:` trigger");
        let jobs = workflow["jobs"].as_object().with_context(|| format!("{name}: no jobs"))?;
        for (job, definition) in jobs {
            ensure!(
                definition["timeout-minutes"].as_u64().is_some_and(|m| m <= 90),
                "{name}: job {job} has no timeout <= 90 min"
            );
            ensure!(definition["steps"].as_array().is_some_and(|s| !s.is_empty()), "{name}: job {job} has no steps");
        }
    }
    Ok(())
}

fn every_command_names_things_that_exist() -> Result<()> {
    let mut missing = Vec::new();
    for (name, workflow) in workflows()? {
        for command in crate::common::workflow_commands(&workflow) {
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

fn a_renamed_test_target_is_caught() {
    let wanted = references("cargo test --test no_such_target && ci/nope.sh");
    let missing: Vec<_> = wanted.iter().filter(|(path, _)| !repo::path(path).exists()).collect();
    assert_eq!(missing.len(), 2, "{wanted:?}");
}

/// The README gives a newcomer exactly two commands (prepare and run; run every test), and
/// `.ci/run` runs the second one.
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

/// The test targets Cargo.toml declares.
fn test_targets() -> Vec<String> {
    let manifest = std::fs::read_to_string(repo::path("Cargo.toml")).unwrap_or_default();
    let mut targets = Vec::new();
    let mut in_test = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_test = line == "[[test]]";
        } else if let (true, Some(name)) = (in_test, line.strip_prefix("name = ")) {
            targets.push(name.trim_matches('"').to_owned());
        }
    }
    targets
}

/// Whether `name` matches `pattern`, where `*` stands for any run of characters (cargo's globs).
fn glob(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => name
            .strip_prefix(head)
            .is_some_and(|rest| (0..=rest.len()).any(|i| rest.is_char_boundary(i) && glob(tail, &rest[i..]))),
    }
}

/// Every test binary is named for what it needs (`needs_nothing`, `needs_compose`,
/// `needs_docker`), and the pull-request workflow's fast job selects, by those names, exactly
/// the binaries that need no Docker engine (and the unit tests).
fn the_fast_job_runs_exactly_the_groups_that_need_no_engine() -> Result<()> {
    let targets = test_targets();
    ensure!(!targets.is_empty(), "Cargo.toml declares no [[test]] target");
    for target in &targets {
        ensure!(
            ["needs_nothing", "needs_compose", "needs_docker"].iter().any(|g| target.starts_with(g)),
            "test target {target} is not named for what it needs"
        );
    }
    let workflow = yaml::load(&repo::path("ci/workflows/pull-request.yml"))?;
    let fast = workflow["jobs"]["static"].clone();
    let commands = crate::common::workflow_commands(&serde_json::json!({"jobs": {"static": fast}}));
    let cargo_test = commands.iter().find(|c| c.contains("cargo test")).context("the static job runs no cargo test")?;
    let words: Vec<&str> = cargo_test.split_whitespace().collect();
    let patterns: Vec<&str> =
        words.windows(2).filter(|w| w[0] == "--test").map(|w| w[1].trim_matches(['\'', '"'])).collect();
    let selected: Vec<&String> = targets.iter().filter(|t| patterns.iter().any(|p| glob(p, t))).collect();
    let wanted: Vec<&String> = targets.iter().filter(|t| !t.starts_with("needs_docker")).collect();
    ensure!(selected == wanted, "the fast job selects {selected:?}, but the targets needing no engine are {wanted:?}");
    ensure!(words.contains(&"--lib"), "the fast job does not run the unit tests: {cargo_test}");
    Ok(())
}

/// Every job of every workflow sets STACKPROOF_REQUIRE_DOCKER to a true value: in CI, a test
/// whose Docker engine or tool is missing fails instead of skipping.
fn every_job_requires_every_test_to_run() -> Result<()> {
    for (name, workflow) in workflows()? {
        for (job, definition) in workflow["jobs"].as_object().into_iter().flatten() {
            let value = definition["env"][stackproof::docker::REQUIRE_DOCKER_VAR].as_str().unwrap_or_default();
            ensure!(
                stackproof::docker::truthy(value) == Some(true),
                "{name}: job {job} sets {}={value:?}, not a true value",
                stackproof::docker::REQUIRE_DOCKER_VAR
            );
        }
    }
    Ok(())
}

fn globs_match_like_cargos() {
    assert!(glob("needs_*", "needs_docker") && glob("*compose", "needs_compose") && glob("a*b*c", "aXbYc"));
    assert!(!glob("needs_n*", "needs_docker") && !glob("x", "needs_x"));
}

/// The workflows, the README's commands and the grouping of test binaries.
pub fn suite() -> stackproof::suite::Suite<()> {
    stackproof::suite::Suite::plain("ci")
        .with(crate::common::test(
            "every-workflow-has-triggers-and-jobs-with-bounded-time",
            every_workflow_has_triggers_and_jobs_with_bounded_time,
        ))
        .with(crate::common::test("every-command-names-things-that-exist", every_command_names_things_that_exist))
        .with(crate::common::unit("a-renamed-test-target-is-caught", a_renamed_test_target_is_caught))
        .with(crate::common::test(
            "the-readme-gives-two-commands-and-ci-runs-the-test-one",
            the_readme_gives_two_commands_and_ci_runs_the_test_one,
        ))
        .with(crate::common::test(
            "the-fast-job-runs-exactly-the-groups-that-need-no-engine",
            the_fast_job_runs_exactly_the_groups_that_need_no_engine,
        ))
        .with(crate::common::test("every-job-requires-every-test-to-run", every_job_requires_every_test_to_run))
        .with(crate::common::unit("globs-match-like-cargos", globs_match_like_cargos))
}
