//! Shared by the three test binaries (grouped by what they need: nothing, the compose CLI,
//! Docker): trial builders, and the few helpers more than one group uses.

#![allow(dead_code)] // each binary uses its own subset

use std::path::Path;

use stackproof::check::case::Case;
use stackproof::check::report::Run;
use stackproof::suite::Trial;

/// A trial over context `$ctx` from an async function `fn(&$ctx) -> anyhow::Result<()>`; its
/// error becomes the failure message, with its causes.
#[macro_export]
macro_rules! trial {
    ($name:expr, $ctx:ty, $f:path) => {
        stackproof::suite::Trial::<$ctx>::new(
            $name,
            Box::new(|context: &$ctx| Box::pin(async move { $f(context).await.map_err(|e| format!("{e:#}")) })),
        )
    };
}

/// A context-free trial from a plain function.
pub fn test(name: &str, f: fn() -> anyhow::Result<()>) -> Trial<()> {
    Trial::new(name, Box::new(move |_: &()| Box::pin(async move { f().map_err(|e| format!("{e:#}")) })))
}

/// A trial named after `case` that requires its run to meet its expectation exactly.
pub fn case_problems(case: &Case, run: &Run) -> anyhow::Result<()> {
    let problems = case.expect.problems(&run.ran, &run.findings);
    anyhow::ensure!(problems.is_empty(), "case {} ({}):\n{}", case.name, case.dir.display(), problems.join("\n"));
    for finding in &run.findings {
        println!("  {finding}");
    }
    Ok(())
}

/// Every `run:` command of every step of every job of a CI workflow.
pub fn workflow_commands(workflow: &serde_json::Value) -> Vec<String> {
    let jobs = workflow["jobs"].as_object().cloned().unwrap_or_default();
    jobs.values()
        .flat_map(|job| job["steps"].as_array().cloned().unwrap_or_default())
        .filter_map(|step| step["run"].as_str().map(str::to_owned))
        .collect()
}

/// Copies the app's source (without wheels and caches) to `dest`, readable by the container's
/// non-root user.
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

/// A context-free trial from a function that asserts (panics on failure).
pub fn unit(name: &str, f: fn()) -> Trial<()> {
    Trial::new(
        name,
        Box::new(move |_: &()| {
            Box::pin(async move {
                f();
                Ok(())
            })
        }),
    )
}
