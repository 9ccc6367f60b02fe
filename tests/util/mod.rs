//! Shared by the integration tests: Docker gating, tracing, HTTP and a copy of the app.

#![allow(dead_code)] // each test binary uses its own subset of these helpers

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use stackproof::docker;

/// Sends test tracing (stage timings) to the captured test output.
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "stackproof=info".into()),
        )
        .with_test_writer()
        .try_init();
}

/// Whether Docker can be used. When it cannot: fails the test where Docker is required (CI,
/// `STACKPROOF_REQUIRE_DOCKER=1`), else prints a loud skip line that test capture does not hide.
pub fn docker_or_skip(test: &str) -> bool {
    init_tracing();
    usable_or_skip(test, docker::availability())
}

/// Like [`docker_or_skip`], for tests that only need the compose CLI (rendering, no engine).
pub fn compose_cli_or_skip(test: &str) -> bool {
    usable_or_skip(test, docker::compose_cli())
}

fn usable_or_skip(test: &str, usable: Result<(), docker::DockerUnavailable>) -> bool {
    tool_or_skip(test, usable.err().map(|reason| reason.to_string()))
}

/// Whether what a test needs (Docker, a tool) is present (`missing` says why not). When it is
/// missing: fails where every test must run (CI, `STACKPROOF_REQUIRE_DOCKER=1`;
/// `ci/prepare.sh` installs the tools), else prints a loud skip line that test capture does not hide.
pub fn tool_or_skip(test: &str, missing: Option<String>) -> bool {
    match missing {
        None => true,
        Some(reason) if docker::required_by_env() => {
            panic!("{test}: every test must run here ({}=1) but {reason}", docker::REQUIRE_DOCKER_VAR)
        }
        Some(reason) => {
            let _ = std::io::stderr().write_all(format!("\n*** SKIPPED {test}: {reason} ***\n").as_bytes());
            false
        }
    }
}

/// Returns early from a test (with `Ok(())`) when Docker is absent and not required.
#[macro_export]
macro_rules! require_docker {
    ($test:expr) => {
        if !util::docker_or_skip($test) {
            return Ok(());
        }
    };
}

/// The IDs of the containers Docker still has for compose project `project`.
pub fn containers_of(project: &str) -> Vec<String> {
    let output = std::process::Command::new("docker")
        .args(["ps", "-aq", "--filter", &format!("label=com.docker.compose.project={project}")])
        .output()
        .expect("docker ps runs");
    String::from_utf8_lossy(&output.stdout).lines().map(str::to_owned).collect()
}

/// An HTTP client with a short timeout and no redirects followed.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client can be built")
}

/// Copies the app's source (without wheels and caches) to `dest`, readable by the
/// container's non-root user.
pub fn copy_app_source(src: &Path, dest: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dest)?;
    std::fs::set_permissions(dest, std::fs::Permissions::from_mode(0o755))?;
    for entry in std::fs::read_dir(src)? {
        let entry = entry?;
        let name = entry.file_name();
        if ["wheels", "__pycache__", ".pytest_cache"].contains(&name.to_string_lossy().as_ref()) {
            continue;
        }
        let target = dest.join(&name);
        if entry.file_type()?.is_dir() {
            copy_app_source(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644))?;
        }
    }
    Ok(())
}

/// A named check over a shared context, for binaries that boot one expensive stack and run
/// many checks on it (declare with [`checks!`]).
pub type Check<C> = (&'static str, CheckFn<C>);

/// The function of a [`Check`]: an async fn over the context, boxed.
pub type CheckFn<C> = for<'a> fn(&'a C) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// Builds a list of [`Check`]s over context type `$ctx` from async functions
/// `fn(&$ctx) -> anyhow::Result<()>`.
#[macro_export]
macro_rules! checks {
    ($ctx:ty => $($check:ident),+ $(,)?) => {
        vec![$((stringify!($check), {
            fn boxed<'a>(context: &'a $ctx) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + Send + 'a>> {
                Box::pin($check(context))
            }
            boxed as util::CheckFn<$ctx>
        })),+]
    };
}

/// Runs every check (a failure does not stop the others) and fails naming each failed one.
pub async fn run_checks<C: Sync>(context: &C, checks: Vec<Check<C>>) -> anyhow::Result<()> {
    let failed: Vec<String> = run_each(context, checks)
        .await
        .into_iter()
        .filter_map(|(name, outcome)| outcome.err().map(|error| format!("{name}: {error:#}")))
        .collect();
    anyhow::ensure!(failed.is_empty(), "{} check(s) failed:\n{}", failed.len(), failed.join("\n"));
    Ok(())
}

/// Runs every check in order and returns each one's outcome, printing it as it goes.
pub async fn run_each<C: Sync>(context: &C, checks: Vec<Check<C>>) -> Vec<(&'static str, anyhow::Result<()>)> {
    let mut outcomes = Vec::new();
    for (name, check) in checks {
        let started = std::time::Instant::now();
        let outcome = check(context).await;
        match &outcome {
            Ok(()) => println!("check {name}: ok ({:?})", started.elapsed()),
            Err(error) => println!("check {name}: FAILED: {error:#}"),
        }
        outcomes.push((name, outcome));
    }
    outcomes
}

/// Every `run:` command of every step of every job of a CI workflow.
pub fn workflow_commands(workflow: &serde_json::Value) -> Vec<String> {
    let jobs = workflow["jobs"].as_object().cloned().unwrap_or_default();
    jobs.values()
        .flat_map(|job| job["steps"].as_array().cloned().unwrap_or_default())
        .filter_map(|step| step["run"].as_str().map(str::to_owned))
        .collect()
}
