//! A run compared with an earlier one: each metric's change, and which way is worse. The
//! comparison informs; the thresholds alone decide whether a run fails.

use super::Summary;

/// One metric before and after.
#[derive(Debug, Clone, PartialEq)]
pub struct Delta {
    /// e.g. `p95 (ms)`.
    pub metric: String,
    /// The baseline's figure.
    pub before: f64,
    /// This run's figure.
    pub after: f64,
    /// Whether a smaller figure is the better one (times, errors) or not (throughput).
    pub lower_is_better: bool,
}

impl Delta {
    /// `worse`, `better` or `unchanged`.
    pub fn direction(&self) -> &'static str {
        let change = self.after - self.before;
        let worse = if self.lower_is_better { change > 0.0 } else { change < 0.0 };
        match (change == 0.0, worse) {
            (true, _) => "unchanged",
            (false, true) => "worse",
            (false, false) => "better",
        }
    }

    /// e.g. `+40.0 (+19%)`.
    pub fn change(&self) -> String {
        let change = self.after - self.before;
        match self.before != 0.0 {
            true => format!("{change:+.1} ({:+.0}%)", change / self.before * 100.0),
            false => format!("{change:+.1}"),
        }
    }

    /// e.g. `p95 (ms): 210.0 -> 250.0, +40.0 (+19%), worse`.
    pub fn line(&self) -> String {
        format!("{}: {:.1} -> {:.1}, {}, {}", self.metric, self.before, self.after, self.change(), self.direction())
    }
}

/// Every metric of `after` against `before`: latencies, error rate and throughput, then each
/// route both runs made.
pub fn compare(before: &Summary, after: &Summary) -> Vec<Delta> {
    let (b, a) = (&before.observed, &after.observed);
    let delta = |metric: &str, before: f64, after: f64, lower_is_better: bool| Delta {
        metric: metric.to_owned(),
        before,
        after,
        lower_is_better,
    };
    let mut deltas = vec![
        delta("p50 (ms)", b.p50_ms, a.p50_ms, true),
        delta("p95 (ms)", b.p95_ms, a.p95_ms, true),
        delta("p99 (ms)", b.p99_ms, a.p99_ms, true),
        delta("max (ms)", b.max_ms, a.max_ms, true),
        delta("error rate (%)", b.error_rate() * 100.0, a.error_rate() * 100.0, true),
        delta("throughput (req/s)", b.rps(), a.rps(), false),
    ];
    for route in &a.routes {
        if let Some(old) = b.routes.iter().find(|r| r.name == route.name) {
            deltas.push(delta(&format!("p95 of {} (ms)", route.name), old.p95_ms, route.p95_ms, true));
        }
    }
    deltas
}

/// The comparison as a Markdown page.
pub fn markdown(before: &Summary, after: &Summary) -> String {
    let mut page = format!("# Load test `{}` against its baseline\n\n", after.profile);
    if before.profile != after.profile {
        page += &format!("The baseline ran profile `{}`: figures may not be comparable.\n\n", before.profile);
    }
    let verdict = |s: &Summary| if s.passed() { "passed" } else { "failed" };
    page += &format!("Baseline {}, this run {}.\n\n", verdict(before), verdict(after));
    page += "| metric | baseline | this run | change | |\n| --- | ---: | ---: | ---: | --- |\n";
    for delta in compare(before, after) {
        page += &format!(
            "| {} | {:.1} | {:.1} | {} | {} |\n",
            delta.metric.replace('|', "\\|"),
            delta.before,
            delta.after,
            delta.change(),
            delta.direction()
        );
    }
    page
}
