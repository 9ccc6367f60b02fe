//! Why a project could not be loaded; every error names the file and, where known, the line.

use std::fmt;
use std::path::PathBuf;

use crate::compose_config::ConfigError;

/// A place in a text file: a 1-based line and, where the parser knows it, a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, if known.
    pub column: Option<usize>,
}

impl Position {
    /// A whole line.
    pub fn line(line: usize) -> Self {
        Self { line, column: None }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(column) => write!(f, "{}:{column}", self.line),
            None => write!(f, "{}", self.line),
        }
    }
}

/// Why a project (or one of its files) could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file is missing or unreadable.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The file is not what its parser accepts (YAML, Dockerfile or env syntax, or encoding).
    #[error("{}:{at}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// Where the parser stopped.
        at: Position,
        /// What the parser expected.
        message: String,
    },
    /// The file parses but breaks its schema (the harness config).
    #[error("{}{}: {message}", path.display(), at.map(|at| format!(":{at}")).unwrap_or_default())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The offending key's line, if found.
        at: Option<Position>,
        /// Which key, and what is wrong with it.
        message: String,
    },
    /// `docker compose config` could not render the project.
    #[error("rendering {files} with docker compose config: {source}")]
    Render {
        /// The compose files, as given to compose.
        files: String,
        /// What went wrong (compose's own message names the file and key).
        #[source]
        source: ConfigError,
    },
}

impl LoadError {
    /// A read error for `path`.
    pub fn read(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Read { path: path.into(), source }
    }

    /// A syntax error in `path` at `at`.
    pub fn syntax(path: impl Into<PathBuf>, at: Position, message: impl Into<String>) -> Self {
        Self::Syntax { path: path.into(), at, message: message.into() }
    }
}

/// Reads `path` whole, naming it on failure.
pub(crate) fn read(path: &std::path::Path) -> Result<Vec<u8>, LoadError> {
    std::fs::read(path).map_err(|source| LoadError::read(path, source))
}

/// Decodes `bytes` of `path` as UTF-8; the error gives the line of the first bad byte.
pub(crate) fn utf8<'a>(path: &std::path::Path, bytes: &'a [u8]) -> Result<&'a str, LoadError> {
    std::str::from_utf8(bytes).map_err(|error| {
        let good = &bytes[..error.valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = good.len() - good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) + 1;
        LoadError::syntax(path, Position { line, column: Some(column) }, "not valid UTF-8")
    })
}
