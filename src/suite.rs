//! Test binaries in which every check is its own test. A [`Suite`] boots one context (a stack, a
//! toolbox, nothing) and runs its trials against it in their declared [`Phase`] order; suites
//! run side by side, as many at once as their weights fit in the machine's capacity, since most
//! of a stack's time is spent waiting. libtest-mimic prints and counts the trials as the
//! standard harness would, so `cargo test <check-name>` runs one check (booting only the suites
//! it needs) and a failure names it. What a suite needs (Docker, a tool) is checked first: where
//! it is missing the trials are *ignored*, counted in the summary, and fail instead where every
//! test must run (CI).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::FutureExt;
use libtest_mimic::{Arguments, Failed, Trial as MimicTrial};
use tokio::sync::{Semaphore, oneshot};

use crate::docker;

/// A boxed future, as trials and boots are stored.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// When a trial runs within its suite: every trial of a phase before any of the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Looks only (the default).
    Read,
    /// Changes state others do not depend on (accounts, files of its own).
    Write,
    /// Spends a budget later trials would miss (a client address's rate limit).
    Exhaust,
    /// Breaks the context for a while (stops, kills, fills): last.
    Disrupt,
}

/// What a trial's function is: an async fn over the suite's context.
pub type TrialFn<C> = Box<dyn for<'a> Fn(&'a C) -> BoxFuture<'a, Result<(), String>> + Send + Sync>;

/// One test of a suite.
pub struct Trial<C> {
    /// Its name within the suite (the check's `SPnnn-name`, or what the test proves).
    pub name: String,
    /// When it runs.
    pub phase: Phase,
    /// How long it may take.
    pub timeout: Duration,
    /// What it needs beyond its suite's requirements (a tool only it uses).
    pub requires: Vec<Requirement>,
    /// What it does.
    pub run: TrialFn<C>,
}

impl<C> Trial<C> {
    /// A read-phase trial named `name`, at most 10 minutes long.
    pub fn new(name: impl Into<String>, run: TrialFn<C>) -> Self {
        Self { name: name.into(), phase: Phase::Read, timeout: Duration::from_secs(600), requires: Vec::new(), run }
    }

    /// The same trial in `phase`.
    pub fn in_phase(mut self, phase: Phase) -> Self {
        self.phase = phase;
        self
    }

    /// The same trial needing `requirement`: where it is missing, this trial alone is skipped
    /// (or fails, where every test must run); the suite's other trials run.
    pub fn requires(mut self, requirement: Requirement) -> Self {
        self.requires.push(requirement);
        self
    }
}

/// Builds a [`TrialFn`] from an async function (or closure returning a future) of the context.
#[macro_export]
macro_rules! trial_fn {
    ($f:expr) => {
        Box::new(move |context| Box::pin($f(context)))
    };
}

/// What a suite needs before it can boot.
#[derive(Debug, Clone)]
pub enum Requirement {
    /// A Docker engine with the compose plugin.
    Docker,
    /// The compose CLI (rendering; no engine).
    ComposeCli,
    /// A tool: its name, and why it is missing when it is (`None`: present).
    Tool(String, Option<String>),
}

impl Requirement {
    /// Why the requirement is not met, if it is not.
    fn missing(&self) -> Option<String> {
        match self {
            Self::Docker => docker::availability().err().map(|e| e.to_string()),
            Self::ComposeCli => docker::compose_cli().err().map(|e| e.to_string()),
            Self::Tool(name, missing) => missing.as_ref().map(|why| format!("{name}: {why}")),
        }
    }
}

/// A context and the trials run against it.
pub struct Suite<C> {
    /// Prefix of its trials' names.
    pub name: String,
    /// Its share of the machine while it runs (a production stack is 2; the capacity is 8).
    pub weight: u32,
    /// What it needs.
    pub requires: Vec<Requirement>,
    /// Makes the context.
    pub boot: Box<dyn FnOnce() -> BoxFuture<'static, Result<C, String>> + Send>,
    /// Ends it (tears the stack down, checks nothing is left).
    pub teardown: Box<dyn FnOnce(C) -> BoxFuture<'static, Result<(), String>> + Send>,
    /// Its trials, in declared order.
    pub trials: Vec<Trial<C>>,
}

impl<C: Send + Sync + 'static> Suite<C> {
    /// A suite named `name` booting with `boot` and ending with `teardown`.
    pub fn new<B, T>(name: &str, boot: B, teardown: T) -> Self
    where
        B: FnOnce() -> BoxFuture<'static, Result<C, String>> + Send + 'static,
        T: FnOnce(C) -> BoxFuture<'static, Result<(), String>> + Send + 'static,
    {
        Self {
            name: name.to_owned(),
            weight: 1,
            requires: Vec::new(),
            boot: Box::new(boot),
            teardown: Box::new(teardown),
            trials: Vec::new(),
        }
    }

    /// The same suite needing `requirement`.
    pub fn requires(mut self, requirement: Requirement) -> Self {
        self.requires.push(requirement);
        self
    }

    /// The same suite weighing `weight`.
    pub fn weighing(mut self, weight: u32) -> Self {
        self.weight = weight;
        self
    }

    /// The same suite with `trial` added.
    pub fn with(mut self, trial: Trial<C>) -> Self {
        self.trials.push(trial);
        self
    }

    /// The same suite with `trials` added.
    pub fn with_all(mut self, trials: impl IntoIterator<Item = Trial<C>>) -> Self {
        self.trials.extend(trials);
        self
    }
}

impl Suite<()> {
    /// A suite without context: its trials stand alone.
    pub fn plain(name: &str) -> Self {
        Suite::new(name, || Box::pin(async { Ok(()) }), |()| Box::pin(async { Ok(()) }))
    }
}

/// A suite with its context type erased, as [`main`] takes them.
pub trait AnySuite: Send {
    /// Its name.
    fn name(&self) -> &str;
    /// Its trials' full names (`suite::trial`), in run order.
    fn trial_names(&self) -> Vec<String>;
    /// Why it cannot run here, if it cannot.
    fn missing(&self) -> Option<String>;
    /// Its trials that cannot run here for a requirement of their own: full name -> why.
    fn trials_missing(&self) -> BTreeMap<String, String>;
    /// Its weight.
    fn weight(&self) -> u32;
    /// Boots it, runs the `selected` trials in order, reports each outcome, tears it down.
    fn run(self: Box<Self>, selected: BTreeSet<String>, outcomes: Outcomes) -> BoxFuture<'static, ()>;
}

/// Where finished trials' outcomes go: full name -> the channel its libtest trial waits on.
pub type Outcomes = Arc<Mutex<BTreeMap<String, oneshot::Sender<Result<(), String>>>>>;

fn report(outcomes: &Outcomes, name: &str, outcome: Result<(), String>) {
    let sender = outcomes.lock().unwrap_or_else(|e| e.into_inner()).remove(name);
    if let Some(sender) = sender {
        let _ = sender.send(outcome);
    }
}

impl<C: Send + Sync + 'static> AnySuite for Suite<C> {
    fn name(&self) -> &str {
        &self.name
    }

    fn trial_names(&self) -> Vec<String> {
        ordered(&self.trials).iter().map(|t| format!("{}::{}", self.name, t.name)).collect()
    }

    fn missing(&self) -> Option<String> {
        self.requires.iter().find_map(Requirement::missing)
    }

    fn trials_missing(&self) -> BTreeMap<String, String> {
        self.trials
            .iter()
            .filter_map(|t| {
                Some((format!("{}::{}", self.name, t.name), t.requires.iter().find_map(Requirement::missing)?))
            })
            .collect()
    }

    fn weight(&self) -> u32 {
        self.weight
    }

    fn run(self: Box<Self>, selected: BTreeSet<String>, outcomes: Outcomes) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let Suite { name, boot, teardown, mut trials, .. } = *self;
            trials.sort_by_key(|t| t.phase);
            let full = |trial: &Trial<C>| format!("{name}::{}", trial.name);
            let trials: Vec<Trial<C>> = trials.into_iter().filter(|t| selected.contains(&full(t))).collect();
            let started = Instant::now();
            let context = match boot().await {
                Ok(context) => context,
                Err(error) => {
                    eprintln!("suite {name}: boot failed after {:?}: {error}", started.elapsed());
                    for trial in &trials {
                        report(&outcomes, &full(trial), Err(format!("the suite {name} did not boot: {error}")));
                    }
                    return;
                }
            };
            if started.elapsed() > Duration::from_secs(1) {
                eprintln!("suite {name}: booted in {:.1} s", started.elapsed().as_secs_f64());
            }
            for trial in &trials {
                let began = Instant::now();
                // A panicking trial (an assert!) fails alone; the suite goes on.
                let guarded = std::panic::AssertUnwindSafe((trial.run)(&context)).catch_unwind();
                let outcome = match tokio::time::timeout(trial.timeout, guarded).await {
                    Ok(Ok(outcome)) => outcome,
                    Ok(Err(panic)) => Err(panic_message(panic.as_ref())),
                    Err(_) => Err(format!("did not finish within {:?}", trial.timeout)),
                };
                if began.elapsed() > Duration::from_secs(20) {
                    eprintln!("suite {name}: {} took {:.1} s", trial.name, began.elapsed().as_secs_f64());
                }
                report(&outcomes, &full(trial), outcome);
            }
            if let Err(error) = teardown(context).await {
                eprintln!("suite {name}: teardown failed: {error}");
                for trial in &trials {
                    // The trials already reported; a leak must still fail the run.
                    report(&outcomes, &full(trial), Err(error.clone()));
                }
                TEARDOWN_FAILED.store(true, std::sync::atomic::Ordering::SeqCst);
            }
            if started.elapsed() > Duration::from_secs(1) {
                eprintln!("suite {name}: done in {:.1} s", started.elapsed().as_secs_f64());
            }
        })
    }
}

/// What a panic said.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let said = panic.downcast_ref::<String>().map(String::as_str).or_else(|| panic.downcast_ref::<&str>().copied());
    format!("panicked: {}", said.unwrap_or("(no message)"))
}

static TEARDOWN_FAILED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn ordered<C>(trials: &[Trial<C>]) -> Vec<&Trial<C>> {
    let mut sorted: Vec<&Trial<C>> = trials.iter().collect();
    sorted.sort_by_key(|t| t.phase);
    sorted
}

/// How many weight units run at once: a 2-core machine spends most stack time waiting.
pub const CAPACITY: u32 = 8;

/// Whether libtest would run `name` given the filter and skip arguments.
fn selected_by(args: &Arguments, name: &str) -> bool {
    let matches = |pattern: &str| if args.exact { name == pattern } else { name.contains(pattern) };
    args.filter.as_deref().is_none_or(matches) && !args.skip.iter().any(|s| matches(s))
}

/// Runs `suites` as this test binary's trials and exits with libtest's status.
pub fn main(suites: Vec<Box<dyn AnySuite>>) -> ! {
    let mut args = Arguments::from_args();
    // One trial line at a time, in declared order; the suites themselves run side by side.
    args.test_threads = args.test_threads.or(Some(1));
    let required = docker::required_by_env();
    let outcomes: Outcomes = Arc::default();
    let mut trials = Vec::new();
    let mut runnable = Vec::new();
    for suite in suites {
        let names = suite.trial_names();
        // None of these trials is ignored: `--ignored` selects nothing to run.
        let mut selected: BTreeSet<String> =
            names.iter().filter(|n| !args.ignored && selected_by(&args, n)).cloned().collect();
        let own = if args.list { BTreeMap::new() } else { suite.trials_missing() };
        selected.retain(|n| !own.contains_key(n));
        let missing = if selected.is_empty() || args.list { None } else { suite.missing() };
        for name in names {
            let missing = missing.clone().or_else(|| own.get(&name).cloned());
            let trial = match (&missing, required) {
                (Some(why), true) => {
                    let why = format!("every test must run here ({}=1) but {why}", docker::REQUIRE_DOCKER_VAR);
                    MimicTrial::test(name, move || Err(Failed::from(why)))
                }
                (Some(why), false) => {
                    eprintln!("*** SKIPPED {name}: {why} ***");
                    MimicTrial::test(name, || Ok(())).with_ignored_flag(true)
                }
                (None, _) => {
                    let (sender, receiver) = oneshot::channel();
                    outcomes.lock().unwrap_or_else(|e| e.into_inner()).insert(name.clone(), sender);
                    MimicTrial::test(name, move || match receiver.blocking_recv() {
                        Ok(Ok(())) => Ok(()),
                        Ok(Err(message)) => Err(Failed::from(message)),
                        Err(_) => Err(Failed::from("the suite ended without running this trial")),
                    })
                }
            };
            trials.push(trial);
        }
        if missing.is_none() && !selected.is_empty() && !args.list {
            runnable.push((suite, selected));
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the tokio runtime: {error}");
            std::process::exit(101);
        }
    };
    let orchestra = runtime.spawn(orchestrate(runnable, outcomes));
    let conclusion = libtest_mimic::run(&args, trials);
    let _ = runtime.block_on(orchestra);
    runtime.shutdown_timeout(Duration::from_secs(10));
    if TEARDOWN_FAILED.load(std::sync::atomic::Ordering::SeqCst) {
        eprintln!("a suite's teardown failed: see above");
        std::process::exit(101);
    }
    conclusion.exit()
}

/// Runs every suite, as many at once as their weights fit in [`CAPACITY`], in declared order
/// (declare the longest first: the run takes at least as long as it).
async fn orchestrate(suites: Vec<(Box<dyn AnySuite>, BTreeSet<String>)>, outcomes: Outcomes) {
    let capacity = Arc::new(Semaphore::new(CAPACITY as usize));
    let mut running = tokio::task::JoinSet::new();
    for (suite, selected) in suites {
        let (capacity, outcomes) = (capacity.clone(), outcomes.clone());
        let weight = suite.weight().clamp(1, CAPACITY);
        running.spawn(async move {
            let Ok(_share) = capacity.acquire_many(weight).await else { return };
            suite.run(selected, outcomes).await;
        });
    }
    while running.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(filter: Option<&str>, exact: bool, skip: &[&str]) -> Arguments {
        Arguments {
            filter: filter.map(str::to_owned),
            exact,
            skip: skip.iter().map(|s| (*s).to_owned()).collect(),
            ..Arguments::default()
        }
    }

    #[test]
    fn selection_follows_libtests_filter_exact_and_skip() {
        let name = "edge::SP400-tls-1-0-and-1-1-are-refused";
        assert!(selected_by(&args(None, false, &[]), name));
        assert!(selected_by(&args(Some("tls-1-0"), false, &[]), name));
        assert!(!selected_by(&args(Some("tls-1-0"), true, &[]), name));
        assert!(selected_by(&args(Some(name), true, &[]), name));
        assert!(!selected_by(&args(None, false, &["SP400"]), name));
    }

    #[test]
    fn trials_run_by_phase_keeping_their_declared_order_within_one() {
        let noop = || -> TrialFn<()> { Box::new(|_| Box::pin(async { Ok(()) })) };
        let suite = Suite::plain("s")
            .with(Trial::new("kill", noop()).in_phase(Phase::Disrupt))
            .with(Trial::new("b", noop()))
            .with(Trial::new("spend", noop()).in_phase(Phase::Exhaust))
            .with(Trial::new("a", noop()));
        assert_eq!(suite.trial_names(), ["s::b", "s::a", "s::spend", "s::kill"]);
    }

    #[test]
    fn a_trial_missing_its_own_tool_is_named_with_why_and_the_others_are_not() {
        let noop = || -> TrialFn<()> { Box::new(|_| Box::pin(async { Ok(()) })) };
        let suite = Suite::plain("s")
            .with(Trial::new("plain", noop()))
            .with(Trial::new("needs-x", noop()).requires(Requirement::Tool("x".into(), Some("not installed".into()))))
            .with(Trial::new("has-y", noop()).requires(Requirement::Tool("y".into(), None)));
        assert_eq!(suite.missing(), None);
        let missing = suite.trials_missing();
        assert_eq!(missing.into_iter().collect::<Vec<_>>(), [("s::needs-x".to_owned(), "x: not installed".to_owned())]);
    }
}
