//! Load testing the production stack with Goose: profiles (`loadtests/*.yml`), the user
//! scenarios, a run bounded by the profile, thresholds judged from the returned metrics, and
//! the reports CI keeps (Goose's HTML and JSON, our summary, JUnit and baseline comparison).
//!
//! Everything is judged from one client address, so nginx's per-address rate limits apply to
//! the whole run: [`budget`] refuses profiles that would run into them.

pub mod attack;
pub mod budget;
pub mod observed;
pub mod profile;
pub mod report;
pub mod scenarios;
pub mod target;
pub mod thresholds;

use std::path::PathBuf;

pub use observed::Observed;
pub use profile::{Profile, Thresholds};
pub use target::Target;
pub use thresholds::{Verdict, evaluate};

/// Everything that can stop a load test before its thresholds are judged.
#[derive(Debug, thiserror::Error)]
pub enum LoadTestError {
    /// The profile cannot be read or is invalid.
    #[error(transparent)]
    Profile(#[from] crate::policy::LoadError),
    /// The target is not one we may send load to.
    #[error(transparent)]
    Target(#[from] target::TargetError),
    /// The stack could not be booted or inspected.
    #[error(transparent)]
    Stack(#[from] crate::stack::StackError),
    /// The production site could not be booted (boxed: its stack errors carry the logs).
    #[error(transparent)]
    Boot(Box<crate::prod::BootError>),
    /// Goose refused the configuration or failed while running.
    #[error("goose: {0}")]
    Goose(#[from] goose::GooseError),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A baseline is not a summary this tool wrote.
    #[error("baseline {}: {message}", path.display())]
    Baseline {
        /// The file given.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

impl From<crate::prod::BootError> for LoadTestError {
    fn from(error: crate::prod::BootError) -> Self {
        Self::Boot(Box::new(error))
    }
}

impl LoadTestError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), source }
    }
}
