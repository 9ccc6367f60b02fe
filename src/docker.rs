//! Is Docker usable here, and must tests that need it run?

use std::io::Read;
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::command;

/// Environment variable that turns a skipped Docker test into a failure (set by `.ci/run`).
pub const REQUIRE_DOCKER_VAR: &str = "STACKPROOF_REQUIRE_DOCKER";

/// Why Docker cannot be used for a stack test.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DockerUnavailable {
    /// No `docker` executable on PATH.
    #[error("the docker CLI is not on PATH")]
    CliMissing,
    /// `docker compose` is not a v2 plugin of the CLI.
    #[error("`docker compose` v2 is not installed as a docker CLI plugin (run ci/prepare.sh): {0}")]
    ComposeMissing(String),
    /// The engine does not answer.
    #[error("no Docker engine answers `docker info`: {0}")]
    EngineUnreachable(String),
}

/// True when skipping a test is not acceptable: `STACKPROOF_REQUIRE_DOCKER` or `CI` is true.
/// Each takes the usual spellings (1/true/yes/on, 0/false/no/off, empty); anything else is a
/// mistake that must not quietly allow skips, and stops the run naming it.
pub fn required_by_env() -> bool {
    [REQUIRE_DOCKER_VAR, "CI"].iter().any(|name| match std::env::var(name) {
        Ok(value) => match truthy(&value) {
            Some(on) => on,
            None => panic!("{name}={value:?} is neither true (1, true, yes, on) nor false (0, false, no, off, empty)"),
        },
        Err(_) => false,
    })
}

/// What an environment flag says: `Some(true)`, `Some(false)`, or `None` for nonsense.
pub fn truthy(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "" | "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Checks once per process that the CLI, the compose plugin and the engine all answer.
pub fn availability() -> Result<(), DockerUnavailable> {
    static RESULT: OnceLock<Result<(), DockerUnavailable>> = OnceLock::new();
    RESULT.get_or_init(probe_blocking).clone()
}

/// Checks that the CLI and its compose plugin are installed (no engine needed).
pub fn compose_cli() -> Result<(), DockerUnavailable> {
    which::which("docker").map_err(|_| DockerUnavailable::CliMissing)?;
    let output = std::process::Command::new("docker")
        .args(["compose", "version", "--short"])
        .output()
        .map_err(|e| DockerUnavailable::ComposeMissing(e.to_string()))?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        return Err(DockerUnavailable::ComposeMissing(said));
    }
    Ok(())
}

fn probe_blocking() -> Result<(), DockerUnavailable> {
    compose_cli()?;
    engine(None)
}

/// Asks the engine at `docker_host` (default: the environment's) whether it answers
/// within 20 s. Blocking: it runs once per process, before any stack.
pub fn engine(docker_host: Option<&str>) -> Result<(), DockerUnavailable> {
    let unreachable = |why: String| DockerUnavailable::EngineUnreachable(why);
    let mut info = std::process::Command::new("docker");
    info.args(["info", "--format", "{{.ServerVersion}}"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(host) = docker_host {
        info.env("DOCKER_HOST", host);
    }
    let mut child = info.spawn().map_err(|e| unreachable(e.to_string()))?;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().map_err(|e| unreachable(e.to_string()))? {
            if status.success() {
                return Ok(());
            }
            let mut said = String::new();
            child.stderr.take().map(|mut e| e.read_to_string(&mut said));
            return Err(unreachable(command::tail(&said, 3)));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err(unreachable("`docker info` did not answer within 20 s".into()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::truthy;

    #[test]
    fn the_usual_spellings_are_understood_and_nonsense_is_not() {
        for on in ["1", "true", "TRUE", "yes", "On", " true "] {
            assert_eq!(truthy(on), Some(true), "{on}");
        }
        for off in ["", "0", "false", "no", "OFF"] {
            assert_eq!(truthy(off), Some(false), "{off}");
        }
        for nonsense in ["2", "maybe", "ture", "y e s"] {
            assert_eq!(truthy(nonsense), None, "{nonsense}");
        }
    }
}
