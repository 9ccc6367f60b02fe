//! Running external programs with a deadline and a readable error.

use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

/// Why an external program did not give us what we asked for.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The program could not be started at all (not installed, not executable).
    #[error("could not start `{command}`: {source}")]
    Spawn {
        /// The command line, for the reader.
        command: String,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The program exited unsuccessfully.
    #[error("`{command}` exited with {status}: {stderr}")]
    Failed {
        /// The command line, for the reader.
        command: String,
        /// Exit status as printed by the OS.
        status: String,
        /// The tail of what it printed on stderr.
        stderr: String,
    },
    /// The program ran past its deadline and was killed.
    #[error("`{command}` did not finish within {timeout:?}")]
    Timeout {
        /// The command line, for the reader.
        command: String,
        /// The deadline it ran into.
        timeout: Duration,
    },
}

/// Captured result of a successful run.
#[derive(Debug, Clone)]
pub struct Output {
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

/// Runs `command` to completion within `timeout`; a non-zero exit is an error.
pub async fn run(mut command: Command, timeout: Duration) -> Result<Output, CommandError> {
    let shown = describe(&command);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = command.spawn().map_err(|source| CommandError::Spawn {
        command: shown.clone(),
        source,
    })?;
    let output = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| CommandError::Timeout {
            command: shown.clone(),
            timeout,
        })?
        .map_err(|source| CommandError::Spawn {
            command: shown.clone(),
            source,
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if !output.status.success() {
        return Err(CommandError::Failed {
            command: shown,
            status: output.status.to_string(),
            stderr: tail(&stderr, 40),
        });
    }
    Ok(Output { stdout, stderr })
}

/// The program and its arguments as one line, for messages.
pub fn describe(command: &Command) -> String {
    let std = command.as_std();
    std::iter::once(std.get_program())
        .chain(std.get_args())
        .map(|part| part.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The last `lines` lines of `text`.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.trim_end().lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
