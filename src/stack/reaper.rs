//! Nothing leaks: projects this process started are torn down on Ctrl-C, and projects left by
//! processes that died (killed test runs) are torn down the next time the harness starts.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::command;
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
    let label: String =
        label.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
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
    let mut down = Command::new("docker");
    down.args(["compose", "--project-name", project, "down", "--volumes", "--remove-orphans", "--timeout", "5"])
        .current_dir(empty_dir());
    command::run_blocking(down, Duration::from_secs(180))
        .map(drop)
        .map_err(|e| format!("docker compose down for {project} failed: {e}"))
}

/// The ids of every container the engine still has for compose project `project`; a failed or
/// unreadable `docker ps` is an error, never "nothing left".
pub fn containers_of(project: &str) -> Result<Vec<String>, String> {
    let mut ps = Command::new("docker");
    ps.args(["ps", "--all", "--quiet", "--filter", &format!("label=com.docker.compose.project={project}")]);
    let output = command::run_blocking(ps, Duration::from_secs(60)).map_err(|e| e.to_string())?;
    let ids: Vec<String> = output.stdout.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
    match ids.iter().find(|id| !id.chars().all(|c| c.is_ascii_hexdigit())) {
        Some(odd) => Err(format!("unreadable `docker ps` output for project {project}: {odd:?}")),
        None => Ok(ids),
    }
}

/// Tears down projects (and removes lone containers, such as toolboxes and helpers) whose
/// owning process no longer exists, once per process; a failure to list them is said loudly.
pub fn reap_orphans() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| match reap_orphans_now() {
        Ok(reaped) => {
            for what in reaped {
                tracing::warn!("tore down {what}, left by a dead test process");
            }
        }
        Err(message) => eprintln!("stackproof: WARNING: could not look for orphans of dead test runs: {message}"),
    });
}

/// Tears down what dead test processes left, now; returns what it removed.
pub fn reap_orphans_now() -> Result<Vec<String>, String> {
    let mut reaped = Vec::new();
    for project in orphaned_projects()? {
        down_blocking(&project)?;
        reaped.push(format!("project {project}"));
    }
    for (id, name) in orphaned_containers()? {
        let mut remove = Command::new("docker");
        remove.args(["rm", "--force", &id]);
        command::run_blocking(remove, Duration::from_secs(60)).map_err(|e| e.to_string())?;
        reaped.push(format!("container {name}"));
    }
    Ok(reaped)
}

fn orphaned_projects() -> Result<Vec<String>, String> {
    let mut ls = Command::new("docker");
    ls.args(["compose", "ls", "--all", "--format", "json"]).current_dir(empty_dir());
    let output = command::run_blocking(ls, Duration::from_secs(60)).map_err(|e| e.to_string())?;
    #[derive(serde::Deserialize)]
    struct Listed {
        #[serde(rename = "Name")]
        name: String,
    }
    let listed: Vec<Listed> = serde_json::from_str(output.stdout.trim())
        .map_err(|e| format!("unreadable `docker compose ls` output: {e}"))?;
    Ok(listed
        .into_iter()
        .map(|l| l.name)
        .filter(|name| owner_pid(name).is_some_and(|pid| !process_alive(pid)))
        .collect())
}

/// Containers outside any compose project named `sp<pid>-...` by a process now dead.
fn orphaned_containers() -> Result<Vec<(String, String)>, String> {
    let mut ps = Command::new("docker");
    ps.args(["ps", "--all", "--filter", "name=^sp[0-9]", "--format", "{{.ID}} {{.Names}}"]);
    let output = command::run_blocking(ps, Duration::from_secs(60)).map_err(|e| e.to_string())?;
    Ok(output
        .stdout
        .lines()
        .filter_map(|line| line.split_once(' '))
        .filter(|(_, name)| owner_pid(name).is_some_and(|pid| !process_alive(pid)))
        .map(|(id, name)| (id.to_owned(), name.to_owned()))
        .collect())
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
    DIR.get_or_init(|| tempfile::tempdir().ok()).as_ref().map_or(Path::new("/"), |dir| dir.path())
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
