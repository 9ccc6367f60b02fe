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

/// How much of what a background program prints is kept for messages.
const KEPT: usize = 16 * 1024;

/// A program left running in the background (a server such as chromedriver), started by
/// [`start`]. Dropping it kills its whole process group, so whatever it launched (a browser and
/// its helpers) goes with it; no process outlives the run that started it.
#[derive(Debug)]
pub struct Running {
    child: tokio::process::Child,
    shown: String,
    said: Said,
}

impl Running {
    /// The command line, for messages.
    pub fn command(&self) -> &str {
        &self.shown
    }

    /// The last of what it printed (both streams, interleaved as read).
    pub fn said(&self) -> String {
        self.said.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// How it ended, if it has (`None`: still running).
    pub fn exited(&mut self) -> Option<String> {
        self.child.try_wait().ok().flatten().map(|status| status.to_string())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(pid) = self.child.id() {
            // Its own process group (see `start`): the group's id is its pid.
            let mut kill = std::process::Command::new("kill");
            kill.args(["-KILL", "--", &format!("-{pid}")]);
            let _ = run_blocking(kill, Duration::from_secs(5));
        }
        // `kill_on_drop` kills and reaps the leader itself, should the group kill have failed.
        let _ = self.child.start_kill();
    }
}

/// What a background program printed, shared with the tasks that drain its streams.
type Said = std::sync::Arc<std::sync::Mutex<String>>;

/// Starts `command` in a process group of its own and reads its standard output until `ready`
/// recognises a line (a banner naming its port, say), for at most `timeout`; returns it running
/// with what `ready` made of that line. A program that exits first, or says nothing ready in
/// time, is killed and reported with the tail of what it printed.
pub async fn start<T>(
    mut command: Command,
    timeout: Duration,
    mut ready: impl FnMut(&str) -> Option<T>,
) -> Result<(Running, T), CommandError> {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let shown = describe(&command);
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true).process_group(0);
    let mut child = command.spawn().map_err(|source| CommandError::Spawn { command: shown.clone(), source })?;
    let said = Said::default();
    let stderr = child.stderr.take().map(|stderr| drain(stderr, said.clone()));
    let stdout = child.stdout.take();
    let mut running = Running { child, shown: shown.clone(), said: said.clone() };
    let Some(stdout) = stdout else {
        return Err(CommandError::Failed { command: shown, status: "no stdout".into(), stderr: String::new() });
    };
    let mut lines = BufReader::new(stdout).lines();
    let found = tokio::time::timeout(timeout, async {
        while let Ok(Some(line)) = lines.next_line().await {
            keep(&said, &line);
            if let Some(value) = ready(&line) {
                return Some(value);
            }
        }
        None
    })
    .await;
    match found {
        Ok(Some(value)) => {
            // The rest of its stdout is drained like its stderr, on a task of its own.
            drop(drain(lines.into_inner().into_inner(), said));
            Ok((running, value))
        }
        Ok(None) => {
            // Its stdout closed: it exited, or is about to.
            let status = match tokio::time::timeout(Duration::from_secs(5), running.child.wait()).await {
                Ok(Ok(status)) => status.to_string(),
                _ => "its output closed".to_owned(),
            };
            if let Some(stderr) = stderr {
                // Let what it printed last on stderr arrive before it is quoted.
                let _ = tokio::time::timeout(Duration::from_secs(1), stderr).await;
            }
            Err(CommandError::Failed { command: shown, status, stderr: tail(&running.said(), 40) })
        }
        Err(_) => Err(CommandError::Timeout { command: shown, timeout }),
    }
}

/// Reads `stream` to its end on a task of its own, keeping its lines: a program whose output
/// nobody reads blocks once the pipe is full.
fn drain(stream: impl tokio::io::AsyncRead + Unpin + Send + 'static, said: Said) -> tokio::task::JoinHandle<()> {
    use tokio::io::{AsyncBufReadExt, BufReader};
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            keep(&said, &line);
        }
    })
}

/// Adds `line` to what was said, keeping only the last [`KEPT`] bytes.
fn keep(said: &Said, line: &str) {
    let mut kept = said.lock().unwrap_or_else(|e| e.into_inner());
    kept.push_str(line);
    kept.push('\n');
    if kept.len() > KEPT {
        let cut = kept.len() - KEPT;
        let cut = (cut..kept.len()).find(|&i| kept.is_char_boundary(i)).unwrap_or(kept.len());
        kept.drain(..cut);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(script: &str) -> Command {
        let mut sh = Command::new("sh");
        sh.args(["-c", script]);
        sh
    }

    #[tokio::test]
    async fn a_started_program_is_ready_when_it_says_so_and_its_whole_group_dies_with_it() {
        let script = "sleep 300 & echo \"helper $!\"; echo 'listening on 4242'; wait";
        let mut helper = None;
        let ready = |line: &str| {
            if let Some(pid) = line.strip_prefix("helper ") {
                helper = pid.parse::<u32>().ok();
            }
            line.strip_prefix("listening on ").and_then(|port| port.parse::<u16>().ok())
        };
        let (mut running, port) = start(shell(script), Duration::from_secs(10), ready).await.unwrap();
        assert_eq!(port, 4242);
        assert_eq!(running.exited(), None);
        assert!(running.said().contains("listening on 4242"), "{}", running.said());
        let helper = helper.expect("the helper's pid");
        assert!(std::path::Path::new(&format!("/proc/{helper}")).exists());
        drop(running);
        let gone = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(20));
            // Killed: gone, or a zombie until its reaper (init here) collects it.
            std::fs::read_to_string(format!("/proc/{helper}/stat")).map_or(true, |stat| stat.contains(") Z "))
        });
        assert!(gone, "the program's child outlived it");
    }

    #[tokio::test]
    async fn a_program_that_exits_before_it_is_ready_is_reported_with_what_it_said() {
        let error = start(shell("echo 'cannot bind' >&2; exit 3"), Duration::from_secs(10), |_| Some(())).await;
        let error = error.map(|_| ()).unwrap_err().to_string();
        assert!(error.contains("exit status: 3") && error.contains("cannot bind"), "{error}");
    }

    #[tokio::test]
    async fn a_program_that_never_says_it_is_ready_times_out() {
        let error = start(shell("echo starting; sleep 30"), Duration::from_millis(300), |_| None::<()>).await;
        assert!(matches!(error, Err(CommandError::Timeout { .. })), "{error:?}");
    }
}
