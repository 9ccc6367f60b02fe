//! One Goose run of a profile against a target: users ramp up over `ramp_seconds`, hold for
//! `duration_seconds`, then all stop; Goose's metrics come back for the thresholds. They cover
//! the whole run, ramp included (Goose would reset them once every user has started): each
//! user signs up while it starts, and a failed sign-up must count.

use std::path::PathBuf;
use std::sync::Arc;

use goose::GooseAttack;
use goose::config::GooseConfiguration;
use goose::metrics::GooseMetrics;

use super::observed::Observed;
use super::profile::Profile;
use super::report::{GOOSE_REPORTS, Summary};
use super::target::Target;
use super::{LoadTestError, scenarios};

/// What a run may add to its profile.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Where Goose writes `report.html` and `report.json`.
    pub report_dir: Option<PathBuf>,
    /// Caps all users together at this many requests per second (for latency at a chosen load).
    pub max_rps: Option<usize>,
}

/// Runs `profile` against `target` and returns Goose's metrics of the whole run.
/// Goose's runs share process-wide state (its stop switch, its logger): run one at a time.
pub async fn run(profile: &Profile, target: &Target, options: &Options) -> Result<GooseMetrics, LoadTestError> {
    if let Some(dir) = &options.report_dir {
        std::fs::create_dir_all(dir).map_err(|source| LoadTestError::io(dir, source))?;
    }
    let target = Arc::new(target.clone());
    let mut attack = GooseAttack::initialize_with_config(configuration(profile, &target, options))?;
    for mix in &profile.scenarios {
        attack = attack.register_scenario(scenarios::scenario(mix, &target)?);
    }
    Ok(attack.execute().await?)
}

/// Runs `profile` against `target` and judges its thresholds on the figures.
pub async fn measure(profile: &Profile, target: &Target, options: &Options) -> Result<Summary, LoadTestError> {
    let observed = Observed::from_metrics(&run(profile, target, options).await?);
    Ok(Summary::judge(profile, target, observed))
}

/// Goose's configuration for `profile`. Everything else stays at Goose's defaults, except the
/// metrics reset (see above) and the telnet controller, which would take a fixed port (and
/// let anyone on it steer the run).
fn configuration(profile: &Profile, target: &Target, options: &Options) -> GooseConfiguration {
    let users = profile.users;
    // Goose spreads starts over a time only for two or more users.
    let (increase_time, increase_rate) = match (users, profile.ramp_seconds) {
        (2.., ramp @ 1..) => (Some(format!("{ramp}s")), None),
        _ => (None, Some(users.to_string())),
    };
    let report_file = match &options.report_dir {
        Some(dir) => GOOSE_REPORTS.iter().map(|name| dir.join(name).to_string_lossy().into_owned()).collect(),
        None => Vec::new(),
    };
    // Goose keeps some fields private: set the public ones on its default.
    let mut configuration = GooseConfiguration::default();
    configuration.host = Some(target.base_url().to_string());
    configuration.users = Some(users);
    configuration.increase_time = increase_time;
    configuration.increase_rate = increase_rate;
    configuration.run_time = Some(format!("{}s", profile.duration_seconds));
    configuration.throttle_requests = options.max_rps;
    configuration.report_file = report_file;
    configuration.no_reset_metrics = true;
    configuration.no_telnet = true;
    configuration
}
