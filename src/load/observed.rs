//! What a run measured, reduced from Goose's metrics to the figures thresholds judge: every
//! request of the run, ramp included (see [`super::attack`]).

use goose::metrics::{GooseMetrics, GooseRequestMetricTimingData};
use serde::{Deserialize, Serialize};

/// The status nginx answers when a rate limit is hit.
pub const TOO_MANY_REQUESTS: u16 = 429;

/// Every request of a run together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    /// Requests made.
    pub requests: usize,
    /// Requests that failed: a status other than 2xx, no response, or a response that lacked
    /// what the scenario needed.
    pub failures: usize,
    /// Of those, answered 429 by a rate limit.
    pub rate_limited: usize,
    /// Seconds the run took.
    pub seconds: f64,
    /// Median response time (to the response headers), in ms.
    pub p50_ms: f64,
    /// 95th percentile, in ms.
    pub p95_ms: f64,
    /// 99th percentile, in ms.
    pub p99_ms: f64,
    /// Slowest response, in ms.
    pub max_ms: f64,
    /// The same figures per route, slowest first.
    pub routes: Vec<Route>,
}

/// One route's figures (e.g. `GET /lessons/{slug}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// Method and route, as the Goose reports name it.
    pub name: String,
    /// Requests made.
    pub requests: usize,
    /// Requests that failed.
    pub failures: usize,
    /// 95th percentile, in ms.
    pub p95_ms: f64,
}

impl Observed {
    /// Failed requests as a fraction of all (0 without requests).
    pub fn error_rate(&self) -> f64 {
        match self.requests {
            0 => 0.0,
            n => self.failures as f64 / n as f64,
        }
    }

    /// Requests per second over the run (0 if no time passed).
    pub fn rps(&self) -> f64 {
        match self.seconds > 0.0 {
            true => self.requests as f64 / self.seconds,
            false => 0.0,
        }
    }

    /// The figures of a finished run.
    pub fn from_metrics(metrics: &GooseMetrics) -> Self {
        let mut all = GooseRequestMetricTimingData::default();
        let (mut failures, mut rate_limited) = (0, 0);
        let mut routes = Vec::new();
        for (name, aggregate) in &metrics.requests {
            merge(&mut all, &aggregate.raw_data);
            failures += aggregate.fail_count;
            rate_limited += aggregate.status_code_counts.get(&TOO_MANY_REQUESTS).copied().unwrap_or(0);
            routes.push(Route {
                name: name.clone(),
                requests: aggregate.success_count + aggregate.fail_count,
                failures: aggregate.fail_count,
                p95_ms: ms(aggregate.raw_data.percentile_us(0.95)),
            });
        }
        routes.sort_by(|a, b| b.p95_ms.total_cmp(&a.p95_ms).then_with(|| a.name.cmp(&b.name)));
        Observed {
            requests: routes.iter().map(|r| r.requests).sum(),
            failures,
            rate_limited,
            seconds: run_seconds(metrics),
            p50_ms: ms(all.percentile_us(0.50)),
            p95_ms: ms(all.percentile_us(0.95)),
            p99_ms: ms(all.percentile_us(0.99)),
            max_ms: ms(all.maximum_time_us),
            routes,
        }
    }
}

impl std::fmt::Display for Observed {
    /// e.g. `1234 requests in 20 s (61.7 req/s), 0 failed; p50 12.0 ms, p95 45.0 ms, ...`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} requests in {:.1} s ({:.1} req/s), {} failed ({} rate-limited); p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.requests,
            self.seconds,
            self.rps(),
            self.failures,
            self.rate_limited,
            self.p50_ms,
            self.p95_ms,
            self.p99_ms,
            self.max_ms
        )
    }
}

/// From the first step of the run to the last, to the millisecond (`metrics.duration` counts
/// whole seconds: 6% off in a 16-second run).
fn run_seconds(metrics: &GooseMetrics) -> f64 {
    match (metrics.history.first(), metrics.history.last()) {
        (Some(first), Some(last)) if last.timestamp > first.timestamp => {
            (last.timestamp - first.timestamp).num_milliseconds() as f64 / 1000.0
        }
        _ => metrics.duration as f64,
    }
}

/// Adds `more`'s times to `into` (Goose merges like this, but only inside the crate).
fn merge(into: &mut GooseRequestMetricTimingData, more: &GooseRequestMetricTimingData) {
    for (&bucket, &count) in &more.times_us {
        let before = into.times_us.get(&bucket).copied().unwrap_or(0);
        into.times_us.insert(bucket, before + count);
    }
    if more.counter > 0 && (into.counter == 0 || more.minimum_time_us < into.minimum_time_us) {
        into.minimum_time_us = more.minimum_time_us;
    }
    into.maximum_time_us = into.maximum_time_us.max(more.maximum_time_us);
    into.total_time_us += more.total_time_us;
    into.counter += more.counter;
}

/// Microseconds as milliseconds to one decimal.
fn ms(us: u64) -> f64 {
    (us as f64 / 100.0).round() / 10.0
}
