//! Judging a run against its profile's thresholds: a pure function of the limits and the
//! figures, so every verdict and its message can be shown on made-up numbers.

use serde::{Deserialize, Serialize};

use super::observed::Observed;
use super::profile::Thresholds;

/// One threshold, judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The threshold's key in the profile, e.g. `p95_ms`.
    pub threshold: String,
    /// Whether the run held it.
    pub passed: bool,
    /// The figure and the limit, and on a breach by how much, e.g.
    /// `p95_ms: 412.0 ms is above the limit of 300 ms by 112.0 ms (+37%)`.
    pub message: String,
}

/// Every threshold of `limits`, judged on `observed`, in the profile's order. Without any
/// request, every threshold fails. A throughput is void when any request failed (a broken
/// stack answers errors fast), so `min_rps` then fails whatever its figure.
pub fn evaluate(limits: &Thresholds, observed: &Observed) -> Vec<Verdict> {
    if observed.requests == 0 {
        let none = |threshold: &str| Verdict {
            threshold: threshold.to_owned(),
            passed: false,
            message: format!("{threshold}: no request was made"),
        };
        return ["p95_ms", "p99_ms", "max_error_rate", "min_rps"].map(none).into();
    }
    vec![
        at_most("p95_ms", observed.p95_ms, limits.p95_ms as f64, "ms"),
        at_most("p99_ms", observed.p99_ms, limits.p99_ms as f64, "ms"),
        error_rate(observed, limits.max_error_rate),
        throughput(observed, limits.min_rps),
    ]
}

fn at_most(threshold: &str, figure: f64, limit: f64, unit: &str) -> Verdict {
    let passed = figure <= limit;
    let message = match passed {
        true => format!("{threshold}: {figure:.1} {unit} is within the limit of {limit} {unit}"),
        false => format!(
            "{threshold}: {figure:.1} {unit} is above the limit of {limit} {unit} by {:.1} {unit} ({})",
            figure - limit,
            relative(figure, limit)
        ),
    };
    Verdict { threshold: threshold.to_owned(), passed, message }
}

fn error_rate(observed: &Observed, limit: f64) -> Verdict {
    let rate = observed.error_rate();
    let mut counted = format!("{} of {} requests failed", observed.failures, observed.requests);
    if observed.rate_limited > 0 {
        counted += &format!(", {} of them 429 from a rate limit", observed.rate_limited);
    }
    let passed = rate <= limit;
    let message = match passed {
        true => format!("max_error_rate: {} ({counted}) is within the limit of {}", percent(rate), percent(limit)),
        false => format!(
            "max_error_rate: {} ({counted}) is above the limit of {} by {:.2} points",
            percent(rate),
            percent(limit),
            (rate - limit) * 100.0
        ),
    };
    Verdict { threshold: "max_error_rate".to_owned(), passed, message }
}

fn throughput(observed: &Observed, limit: f64) -> Verdict {
    let rps = observed.rps();
    let (passed, message) = if observed.failures > 0 {
        let why = format!("{} requests failed, and failures are answered fast", observed.failures);
        (false, format!("min_rps: {rps:.1} req/s is void: {why}"))
    } else if rps >= limit {
        (true, format!("min_rps: {rps:.1} req/s is within the limit of {limit} req/s"))
    } else {
        let by = format!("{:.1} req/s ({})", limit - rps, relative(rps, limit));
        (false, format!("min_rps: {rps:.1} req/s is below the limit of {limit} req/s by {by}"))
    };
    Verdict { threshold: "min_rps".to_owned(), passed, message }
}

/// `+37%` or `-12%`: how far `figure` is from `limit`.
fn relative(figure: f64, limit: f64) -> String {
    match limit > 0.0 {
        true => format!("{:+.0}%", (figure - limit) / limit * 100.0),
        false => "no limit to compare with".to_owned(),
    }
}

fn percent(fraction: f64) -> String {
    format!("{:.2}%", fraction * 100.0)
}
