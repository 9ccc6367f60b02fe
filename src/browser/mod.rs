//! The browser checks (`SP44x`, edge kind): the site as a real browser renders it. Headless
//! Chromium, driven over WebDriver through a chromedriver the harness starts on loopback, loads
//! every page class through the proxy and reads the browser's own log: a CSP that blocks the
//! site's own stylesheet, an inline style in a page, a script error, all show there and nowhere
//! else. A header check (SP407) reads the policy; only a browser shows what it does to the pages,
//! and that it is enforced at all (an injected inline script and `eval` refused). And a user's
//! whole path, by clicking: register, log in, complete a lesson, see the achievement.
//!
//! They are edge checks in their own registry because they need a tool the other edge checks do
//! not (Chromium and chromedriver): where it is missing their trials are skipped with why
//! ([`requirement`]), instead of failing as checks of a broken site. They look at the same
//! [`Target`](crate::edge::Target), with the same positive control: a dead or unreachable site
//! fails each of them.

mod chromium;
mod console;
mod enforced;
mod flow;
mod pages;

use crate::edge::{EdgeCheck, Outcome};
use crate::suite::Requirement;

pub use chromium::{Browser, Tools};
pub use console::{Entry, Said};

/// Why the browser could not be started or driven: a finding, never a pass.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// Chromium or chromedriver is not installed.
    #[error("{tool} is not installed (looked for {looked}): install Debian's chromium and chromium-driver")]
    Missing {
        /// The program.
        tool: &'static str,
        /// Where it was looked for.
        looked: String,
    },
    /// chromedriver did not start, or did not say on which port it listens.
    #[error("chromedriver did not start: {0}")]
    Driver(#[from] crate::command::CommandError),
    /// The browser did not start under chromedriver.
    #[error("{doing}: {source}")]
    Session {
        /// What was being done.
        doing: String,
        /// What chromedriver answered.
        #[source]
        source: fantoccini::error::NewSessionError,
    },
    /// A WebDriver command failed (a page did not load, an element is not there).
    #[error("{doing}: {source}")]
    WebDriver {
        /// What was being done.
        doing: String,
        /// What chromedriver answered.
        #[source]
        source: fantoccini::error::CmdError,
    },
    /// chromedriver did not answer a command in time.
    #[error("{doing}: no answer within {after:?}")]
    Timeout {
        /// What was being done.
        doing: String,
        /// How long it was given.
        after: std::time::Duration,
    },
    /// The served certificate could not be read, so no key could be trusted.
    #[error(transparent)]
    Tls(#[from] crate::probe::tls::TlsError),
    /// The served certificate does not chain to the site's CA: Chromium is told to trust nothing.
    #[error("the certificate served at {addr} does not verify against the site's CA for {name}")]
    NotFromCa {
        /// Where it was served.
        addr: std::net::SocketAddr,
        /// The name it must be valid for.
        name: String,
    },
    /// The browser's profile or the CA file could not be written.
    #[error("writing the browser's profile: {0}")]
    Io(#[from] std::io::Error),
    /// A page answered, but not what a user would see.
    #[error("{url}: {what}")]
    Page {
        /// The page.
        url: String,
        /// What was wrong with it.
        what: String,
    },
}

/// What Chromium says when it drops its connections because the machine's network changed: a
/// Docker host adds and removes interfaces whenever containers start or stop, and Chromium
/// then fails what was in flight, loopback connections included. Not the site's doing: a page
/// load it interrupts is made again, and a check it interrupts is run again ([`settled`]).
pub const NETWORK_CHANGED: &str = "ERR_NETWORK_CHANGED";

/// How many times a check runs before a network change that interrupts it counts.
const RUNS: usize = 3;

/// Runs `look` until what it found is not the machine's network changing under it (a finding
/// or failure that says [`NETWORK_CHANGED`]), at most [`RUNS`] times.
async fn settled<F, Fut>(mut look: F) -> Outcome
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Outcome>,
{
    let mut runs = 0;
    loop {
        runs += 1;
        let outcome = look().await;
        let interrupted = match &outcome {
            Ok(problems) => problems.iter().any(|p| p.message.contains(NETWORK_CHANGED)),
            Err(error) => error.to_string().contains(NETWORK_CHANGED),
        };
        if !interrupted || runs == RUNS {
            return outcome;
        }
        tracing::info!("the network changed under a browser check; running it again");
    }
}

/// A browser check: an edge check (its needs and look over the target), run through
/// [`crate::edge::run`], in this registry because it needs Chromium.
pub type BrowserCheck = EdgeCheck;

/// Every browser check, in id order.
pub static ALL: [&BrowserCheck; 3] = [&pages::PAGES_CLEAN, &enforced::CSP_ENFORCED, &flow::LESSON_FLOW];

/// What a run of the browser checks needs: Chromium and chromedriver, with why when missing.
pub fn requirement() -> Requirement {
    Requirement::Tool("chromium and chromedriver".into(), Tools::find().err().map(|e| e.to_string()))
}

/// Whether the browser checks can run on this machine.
pub fn available() -> bool {
    Tools::find().is_ok()
}
