//! What a live check (edge, monitoring, drills) reports: the problems it saw, each where it
//! showed, or why it could not look at all. Not being able to look is a finding too: a check of
//! a dead target must fail, never pass.

use crate::site::SiteError;
use crate::stack::StackError;

/// One thing a check found wrong, and the URL (or address) that showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where it showed.
    pub url: String,
    /// What is wrong.
    pub message: String,
}

/// A problem at `url`.
pub fn problem(url: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem { url: url.into(), message: message.into() }
}

/// Why a check could not observe what it looks at: itself a finding, never a pass.
#[derive(Debug, thiserror::Error)]
pub enum ObserveError {
    /// A request of the site's flows failed.
    #[error(transparent)]
    Site(#[from] SiteError),
    /// A TLS probe failed (unreachable, openssl missing).
    #[error(transparent)]
    Tls(#[from] crate::probe::tls::TlsError),
    /// The stack could not be asked.
    #[error(transparent)]
    Stack(#[from] StackError),
    /// A command failed.
    #[error(transparent)]
    Command(#[from] crate::command::CommandError),
    /// An HTTP request could not be made or read.
    #[error("{url}: {source}")]
    Http {
        /// The URL asked.
        url: String,
        /// What failed.
        #[source]
        source: reqwest::Error,
    },
    /// A tool in a toolbox container could not run.
    #[error(transparent)]
    Toolbox(#[from] crate::monitoring::toolbox::ToolboxError),
    /// What was waited for never came.
    #[error(transparent)]
    Wait(#[from] crate::wait::WaitError),
    /// The browser could not be started or driven.
    #[error(transparent)]
    Browser(#[from] crate::browser::BrowserError),
    /// Anything else that stops the observation, said plainly.
    #[error("{0}")]
    Observation(String),
}

/// The outcome of a look: the problems found, or why nothing could be seen.
pub type Outcome = Result<Vec<Problem>, ObserveError>;

/// An error with its causes, as one line (reqwest keeps the TLS or connection reason in them).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut said = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        said += &format!(": {cause}");
        source = cause.source();
    }
    said
}
