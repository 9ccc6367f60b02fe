//! Nothing leaks: projects this process started are torn down on Ctrl-C, and projects left by
//! processes that died (killed test runs) are torn down the next time the harness starts.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, Once, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

/// Prefix of every project the harness creates: `sp<pid>-<label>-<suffix>`.
const PREFIX: &str = "sp";

static LIVE: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// A fresh project name that records which process owns it.
pub fn project_name(label: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let label: String = label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    format!("{PREFIX}{}-{label}-{:x}{count}", std::process::id(), nanos & 0xffff)
}

/// Records a live project so a signal can still tear it down.
pub fn track(project: &str) {
    install_signal_handler();
    LIVE.lock().unwrap_or_else(|e| e.into_inner()).insert(project.to_owned());
}

/// Forgets a project once it has been torn down.
pub fn untrack(project: &str) {
    LIVE.lock().unwrap_or_else(|e| e.into_inner()).remove(project);
}

/// Removes the project's containers, networks and volumes; works without its compose files.
pub fn down_blocking(project: &str) -> Result<(), String> {
    let output = Command::new("docker")
        .args(["compose", "--project-name", project, "down", "--volumes", "--remove-orphans"])
        .args(["--timeout", "5"])
        .current_dir(empty_dir())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not run docker compose down for {project}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "docker compose down for {project} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// Tears down projects whose owning process no longer exists (once per process).
pub fn reap_orphans() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for project in orphaned_projects() {
            tracing::warn!(project, "tearing down a project left by a dead test process");
            if let Err(message) = down_blocking(&project) {
                tracing::warn!("{message}");
            }
        }
    });
}

fn orphaned_projects() -> Vec<String> {
    let Ok(output) = Command::new("docker")
        .args(["compose", "ls", "--all", "--format", "json"])
        .current_dir(empty_dir())
        .output()
    else {
        return Vec::new();
    };
    #[derive(serde::Deserialize)]
    struct Listed {
        #[serde(rename = "Name")]
        name: String,
    }
    let listed: Vec<Listed> = serde_json::from_slice(&output.stdout).unwrap_or_default();
    listed
        .into_iter()
        .map(|l| l.name)
        .filter(|name| owner_pid(name).is_some_and(|pid| !process_alive(pid)))
        .collect()
}

/// The pid encoded in a project name made by [`project_name`].
fn owner_pid(project: &str) -> Option<u32> {
    let rest = project.strip_prefix(PREFIX)?;
    rest.split('-').next()?.parse().ok()
}

fn process_alive(pid: u32) -> bool {
    pid == std::process::id() || Path::new("/proc").join(pid.to_string()).exists()
}

fn install_signal_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let installed = ctrlc::set_handler(|| {
            let projects: Vec<String> = LIVE.lock().map(|l| l.iter().cloned().collect()).unwrap_or_default();
            for project in projects {
                eprintln!("stackproof: interrupted, tearing down {project}");
                if let Err(message) = down_blocking(&project) {
                    eprintln!("stackproof: {message}");
                }
            }
            std::process::exit(130);
        });
        if let Err(e) = installed {
            tracing::warn!("no Ctrl-C teardown (another handler is installed): {e}");
        }
    });
}

/// A directory without compose files, so `docker compose -p NAME` acts on the name alone.
pub(super) fn empty_dir() -> &'static Path {
    static DIR: OnceLock<Option<tempfile::TempDir>> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().ok())
        .as_ref()
        .map_or(Path::new("/"), |dir| dir.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names_are_unique_valid_and_carry_the_pid() {
        let (a, b) = (project_name("Dev Stack"), project_name("Dev Stack"));
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        assert_eq!(owner_pid(&a), Some(std::process::id()));
    }

    #[test]
    fn foreign_projects_are_never_claimed() {
        assert_eq!(owner_pid("myshop"), None);
        assert_eq!(owner_pid("spx-1"), None);
        assert!(process_alive(std::process::id()));
    }
}
