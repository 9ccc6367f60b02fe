//! The live edge checks (`SP4xx`): a deployed site as its clients reach it, through its proxy.
//! TLS versions, suites and groups, the certificate, redirects and the ACME path, headers on
//! every answer, cookies, refusals, what must stay hidden, compression, body limits; and, with
//! writes allowed, CSRF, authorisation and rate limits; and, inside the harness, what only the
//! stack can show (which replica served, connections kept, a second client address, a replica
//! killed under load). `stackproof verify` runs them against a real site; the tests run every
//! one against the booted stack. Every check has a positive control: against a dead,
//! unreachable or empty target it fails.

mod http;
mod stack;
mod tls;
mod writes;

use std::future::Future;
use std::pin::Pin;

use crate::check::report::Run;
use crate::check::{Check, Finding, Location};
pub use crate::observe::{ObserveError as EdgeError, Outcome, Problem, error_chain, problem};
use crate::site::Site;
use crate::stack::Stack;

/// What a check needs beyond reading the site, which decides where it may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Needs {
    /// Read-only requests: `stackproof verify` runs it against any site.
    Read,
    /// It changes state (registers users, spends rate-limit budgets): only with `--allow-writes`.
    Write,
    /// The harness's own stack (exec in replicas, read their logs, a second client container).
    Stack,
    /// It breaks the stack for a while (stops or kills replicas): the harness runs it last.
    Disrupt,
}

impl Needs {
    /// Why a run without this need cannot run the check.
    pub fn why_skipped(self) -> &'static str {
        match self {
            Self::Read => "never skipped",
            Self::Write => {
                "it changes state on the site (registers users, spends rate-limit budgets): pass --allow-writes"
            }
            Self::Stack => {
                "it needs the harness's own stack (docker access to the proxy and replicas): run by cargo test"
            }
            Self::Disrupt => "it stops or kills replicas of the harness's own stack: run by cargo test",
        }
    }
}

/// What an edge check looks at.
pub struct Target<'a> {
    /// The site, through its proxy.
    pub site: &'a Site,
    /// The stack behind it, when the harness booted it.
    pub stack: Option<&'a Stack>,
    /// Days the served certificate must still be valid for.
    pub min_days_left: i64,
}

/// How an edge check looks (an async function over the target, boxed).
pub type Look = for<'a> fn(&'a Target<'a>) -> Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// An edge check's needs and look.
pub struct Edge {
    /// What it needs beyond reading.
    pub needs: Needs,
    /// It spends a per-client rate budget: it runs after the checks that need that budget.
    pub exhausts: bool,
    /// How it looks.
    pub look: Look,
}

/// An edge check.
pub type EdgeCheck = Check<Edge>;

/// Boxes an async check function into a [`Look`].
macro_rules! look {
    ($check:path) => {{
        fn boxed<'a>(
            target: &'a $crate::edge::Target<'a>,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = $crate::edge::Outcome> + Send + 'a>> {
            Box::pin($check(target))
        }
        boxed as $crate::edge::Look
    }};
}
pub(crate) use look;

/// Every edge check, in id order.
pub static ALL: [&EdgeCheck; 27] = [
    &tls::OLD_VERSIONS_REFUSED,
    &tls::TLS12_SUITES,
    &tls::TLS13_SUITES,
    &tls::GROUPS,
    &tls::CERTIFICATE,
    &http::REDIRECTS,
    &http::ACME_PATH,
    &http::HEADERS,
    &http::COOKIES,
    &http::ANONYMOUS_REFUSED,
    &http::HIDDEN,
    &http::STATIC_GZIPPED,
    &http::BODY_LIMIT,
    &http::NO_COMPRESSED_PAGES,
    &tls::NO_SESSION_TICKETS,
    &writes::CSRF,
    &writes::OWN_RECORDS_ONLY,
    &writes::LOGIN_LIMIT,
    &writes::API_LIMIT,
    &stack::STATIC_NEVER_REACHES_APP,
    &stack::SPREAD,
    &stack::KEEPALIVE,
    &stack::ERROR_PAGES,
    &stack::PER_CLIENT_LIMITS,
    &stack::CLIENT_ADDRESS,
    &stack::ACME_FILES_SERVED,
    &stack::KILL_UNDER_LOAD,
];

/// The checks `allowed` lets run, in the order they must run: reads, writes, stack checks,
/// the budget spenders, the disruptive ones last; within each, in id order.
pub fn in_run_order(allowed: impl Fn(Needs) -> bool) -> Vec<&'static EdgeCheck> {
    let mut checks: Vec<&'static EdgeCheck> = ALL.iter().copied().filter(|c| allowed(c.run.needs)).collect();
    checks.sort_by_key(|c| (c.run.needs == Needs::Disrupt, c.run.exhausts, c.run.needs, c.id));
    checks
}

/// Runs `check` against `target`; a look that could not observe is a finding too.
pub async fn run(check: &'static EdgeCheck, target: &Target<'_>) -> Vec<Finding> {
    match (check.run.look)(target).await {
        Ok(problems) => problems.into_iter().map(|p| check.finding(Location::url(p.url), p.message)).collect(),
        Err(error) => {
            vec![check.finding(Location::url(target.site.url("/")), format!("could not be observed: {error}"))]
        }
    }
}

/// `stackproof verify`: the checks a run outside the harness may make, in order; the others
/// reported skipped with why.
pub async fn verify(target: &Target<'_>, allow_writes: bool) -> Run {
    let allowed = |needs: Needs| needs == Needs::Read || (allow_writes && needs == Needs::Write);
    let mut findings = Vec::new();
    let checks = in_run_order(allowed);
    for check in &checks {
        findings.extend(run(check, target).await);
    }
    let mut ran: Vec<_> = checks.iter().map(|c| &c.meta).collect();
    ran.sort_by_key(|m| m.id);
    let mut report = Run::new(ran, findings);
    report.skipped =
        ALL.iter().filter(|c| !allowed(c.run.needs)).map(|c| (&c.meta, c.run.needs.why_skipped().to_owned())).collect();
    report
}

/// The stack behind a target, or why a stack check cannot run.
fn stack_of<'a>(target: &Target<'a>) -> Result<&'a Stack, EdgeError> {
    target.stack.ok_or_else(|| EdgeError::Observation("this check needs the harness's stack".into()))
}

/// A request's answer, or an [`EdgeError::Http`] naming the URL.
async fn send(request: reqwest::RequestBuilder, url: &str) -> Result<reqwest::Response, EdgeError> {
    request.send().await.map_err(|source| EdgeError::Http { url: url.to_owned(), source })
}

/// A response header as text (empty when absent).
fn header(response: &reqwest::Response, name: &str) -> String {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disruptive_checks_run_last_and_budget_spenders_after_the_rest_of_their_kind() {
        let order = in_run_order(|_| true);
        let last = order.iter().position(|c| c.run.needs == Needs::Disrupt).unwrap();
        assert!(order[last..].iter().all(|c| c.run.needs == Needs::Disrupt));
        let first_spender = order.iter().position(|c| c.run.exhausts).unwrap();
        assert!(order[first_spender..last].iter().all(|c| c.run.exhausts));
        assert_eq!(order.len(), ALL.len());
    }

    #[test]
    fn verify_without_writes_runs_only_reads() {
        let reads = in_run_order(|n| n == Needs::Read);
        assert!(!reads.is_empty() && reads.iter().all(|c| c.run.needs == Needs::Read));
    }
}
