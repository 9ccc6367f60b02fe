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

/// What a program printed and how it exited, whatever the exit status.
#[derive(Debug, Clone)]
pub struct Finished {
    /// Whether it exited 0.
    pub success: bool,
    /// Its exit code (None when a signal ended it).
    pub code: Option<i32>,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

impl Finished {
    /// Both streams, stdout first.
    pub fn said(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Runs `command` to completion within `timeout`; a non-zero exit is an error.
pub async fn run(command: Command, timeout: Duration) -> Result<Output, CommandError> {
    let shown = describe(&command);
    let finished = run_unchecked(command, timeout).await?;
    if !finished.success {
        let status = finished.code.map_or_else(|| "a signal".to_owned(), |code| format!("exit status: {code}"));
        return Err(CommandError::Failed { command: shown, status, stderr: tail(&finished.stderr, 40) });
    }
    Ok(Output { stdout: finished.stdout, stderr: finished.stderr })
}

/// Runs `command` to completion within `timeout` and returns how it ended, success or not
/// (for checks that expect a program to refuse something).
pub async fn run_unchecked(command: Command, timeout: Duration) -> Result<Finished, CommandError> {
    run_with_input(command, None, timeout).await
}

/// Like [`run_unchecked`], writing `input` to the program's stdin (closed after it).
pub async fn run_with_input(
    mut command: Command,
    input: Option<&[u8]>,
    timeout: Duration,
) -> Result<Finished, CommandError> {
    use tokio::io::AsyncWriteExt;
    let shown = describe(&command);
    let stdin = if input.is_some() { Stdio::piped() } else { Stdio::null() };
    command.stdin(stdin).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    let spawn_error = |source| CommandError::Spawn { command: shown.clone(), source };
    let mut child = command.spawn().map_err(spawn_error)?;
    if let (Some(bytes), Some(mut pipe)) = (input, child.stdin.take()) {
        // A program that exits without reading all of its input is not an error here.
        let _ = pipe.write_all(bytes).await;
    }
    let output = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| CommandError::Timeout { command: shown.clone(), timeout })?
        .map_err(|source| CommandError::Spawn { command: shown.clone(), source })?;
    Ok(Finished {
        success: output.status.success(),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// [`run`] for places that cannot await (a signal handler, `Drop`): the same deadline and the
/// same error, on a blocking child process.
pub fn run_blocking(mut command: std::process::Command, timeout: Duration) -> Result<Output, CommandError> {
    use std::io::Read;
    let shown = describe_std(&command);
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().map_err(|source| CommandError::Spawn { command: shown.clone(), source })?;
    // Drained on their own threads, so a chatty program never blocks on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let deadline = std::time::Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if std::time::Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(CommandError::Timeout { command: shown, timeout });
            }
            Err(source) => return Err(CommandError::Spawn { command: shown, source }),
        }
    };
    let (stdout, stderr) = (stdout.join().unwrap_or_default(), stderr.join().unwrap_or_default());
    if !status.success() {
        return Err(CommandError::Failed { command: shown, status: status.to_string(), stderr: tail(&stderr, 40) });
    }
    Ok(Output { stdout, stderr })
}

/// The program and its arguments as one line, for messages.
pub fn describe(command: &Command) -> String {
    describe_std(command.as_std())
}

fn describe_std(std: &std::process::Command) -> String {
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
