//! The users a profile can run, as Goose scenarios. Each user first gets its own HTTP client
//! for the target (CA, pinned address, cookie jar), then repeats one iteration with a think
//! time after each. Requests are named by route (`GET /lessons/{slug}`), not by URL, so the
//! reports have one row per route.

mod flows;
mod http;

use std::sync::Arc;
use std::time::Duration;

use goose::prelude::*;

use super::profile::ScenarioMix;
use super::target::Target;

/// A kind of user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Anonymous: home, lesson list, a lesson, the stylesheet. No API calls.
    Browse,
    /// Registers (then logs out and in) once, then completes lessons and reads its progress
    /// through the JSON API with the CSRF token.
    Account,
    /// Reads the symbol list once, then analyses one symbol per iteration through the API.
    Analysis,
    /// The home page alone, for throughput benchmarks against other clients.
    FrontPage,
}

/// Requests a user of one kind sends under `/api/` (nginx's `api` zone) and to the login
/// route (the `login` zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footprint {
    /// API requests while the user starts.
    pub api_at_start: usize,
    /// API requests per iteration.
    pub api_per_iteration: usize,
    /// Logins while the user starts.
    pub logins_at_start: usize,
}

impl Kind {
    /// Every kind, in the order their names are listed.
    pub const ALL: [Kind; 4] = [Kind::Browse, Kind::Account, Kind::Analysis, Kind::FrontPage];

    /// The name profiles use.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Browse => "browse",
            Kind::Account => "account",
            Kind::Analysis => "analysis",
            Kind::FrontPage => "front-page",
        }
    }

    /// The kind a profile names, if any.
    pub fn named(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// What one user of this kind costs against nginx's rate limits (see [`flows`]).
    pub fn footprint(self) -> Footprint {
        let (api_at_start, api_per_iteration, logins_at_start) = match self {
            Kind::Browse | Kind::FrontPage => (0, 0, 0),
            // csrf, lesson list, register, logout, login; complete a lesson, read progress.
            Kind::Account => (5, 2, 1),
            // symbol list; one analysis.
            Kind::Analysis => (1, 1, 0),
        };
        Footprint { api_at_start, api_per_iteration, logins_at_start }
    }
}

/// The Goose scenario for one entry of a profile, sending its requests to `target`.
pub fn scenario(mix: &ScenarioMix, target: &Arc<Target>) -> Result<Scenario, GooseError> {
    let kind = mix.kind();
    let think = mix.think_time_ms;
    let target = Arc::clone(target);
    let start: TransactionFunction = Arc::new(move |user| {
        let target = Arc::clone(&target);
        Box::pin(async move {
            user.set_client_builder(target.client_builder()).await.map_err(Box::new)?;
            flows::start(kind, user).await
        })
    });
    let iteration: TransactionFunction = Arc::new(move |user| Box::pin(flows::iteration(kind, user)));
    let scenario = Scenario::new(&mix.name)
        .set_weight(mix.weight)?
        .set_wait_time(Duration::from_millis(think.min), Duration::from_millis(think.max))?
        .register_transaction(Transaction::new(start).set_name("start").set_on_start())
        .register_transaction(Transaction::new(iteration).set_name(kind.name()));
    Ok(scenario)
}
