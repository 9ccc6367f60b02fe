//! Steady client traffic for the drills: a few clients sending GETs one after another while a
//! fault or a release happens, each answer timestamped, so a drill can say what users saw
//! before, during and after. Bounded in time and count; it stops by itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::observe::error_chain;
use crate::site::Site;

/// One answer (or failure) a client saw.
#[derive(Debug, Clone)]
pub struct Answer {
    /// When it came back.
    pub at: Instant,
    /// The path asked.
    pub path: String,
    /// Ok, or what the user saw instead of a 200.
    pub outcome: Result<(), String>,
    /// How long it took.
    pub took: Duration,
}

/// What the clients saw, once stopped.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// Every answer, in no particular order.
    pub answers: Vec<Answer>,
    /// Requests sent again, once, after their reused connection was closed under them.
    pub resent: usize,
}

impl Seen {
    /// The failed answers, each as `what at +elapsed`.
    pub fn failed(&self) -> Vec<&Answer> {
        self.answers.iter().filter(|a| a.outcome.is_err()).collect()
    }

    /// Successful answers after `instant`.
    pub fn succeeded_after(&self, instant: Instant) -> usize {
        self.answers.iter().filter(|a| a.at > instant && a.outcome.is_ok()).count()
    }

    /// The `q` quantile of the successful answers' durations (`None` without any).
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        let mut took: Vec<Duration> = self.answers.iter().filter(|a| a.outcome.is_ok()).map(|a| a.took).collect();
        took.sort();
        let last = took.len().checked_sub(1)?;
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let at = ((last as f64) * q.clamp(0.0, 1.0)).round() as usize;
        took.get(at).copied()
    }

    /// `N requests, F failed, R resent, p95 X ms`, for a drill's report.
    pub fn summary(&self) -> String {
        let p95 = self.quantile(0.95).map_or("-".to_owned(), |d| format!("{} ms", d.as_millis()));
        format!(
            "{} requests, {} failed, {} sent again on a closed connection, p95 {p95}",
            self.answers.len(),
            self.failed().len(),
            self.resent
        )
    }

    /// Up to `n` failures, for a message.
    pub fn first_failures(&self, n: usize, since: Instant) -> Vec<String> {
        self.failed()
            .iter()
            .take(n)
            .map(|a| {
                format!(
                    "{} {} at +{:.1}s",
                    a.path,
                    a.outcome.as_ref().err().map_or("", String::as_str),
                    secs(a.at, since)
                )
            })
            .collect()
    }
}

fn secs(at: Instant, since: Instant) -> f64 {
    at.saturating_duration_since(since).as_secs_f64()
}

/// Clients sending steadily until stopped, or until `limit` passes.
pub struct SteadyLoad {
    stop: Arc<AtomicBool>,
    pause: Arc<std::sync::atomic::AtomicU64>,
    workers: tokio::task::JoinSet<Seen>,
    /// When the load started.
    pub started: Instant,
}

impl SteadyLoad {
    /// Starts `clients` clients, each GETting `paths` in turn through `site` (200 expected),
    /// until [`SteadyLoad::stop`] or `limit`, at most `max_per_client` requests each.
    pub fn start(site: &Site, clients: usize, paths: &[&str], limit: Duration, max_per_client: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let pause = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let started = Instant::now();
        let mut workers = tokio::task::JoinSet::new();
        for n in 0..clients {
            let client = site.client();
            let urls: Vec<(String, String)> = paths.iter().map(|p| ((*p).to_owned(), site.url(p))).collect();
            let stop = Arc::clone(&stop);
            let pause = Arc::clone(&pause);
            workers.spawn(async move {
                let mut seen = Seen::default();
                let mut turn = n;
                while !stop.load(Ordering::Relaxed) && started.elapsed() < limit && seen.answers.len() < max_per_client
                {
                    let (path, url) = &urls[turn % urls.len()];
                    turn += 1;
                    let asked = Instant::now();
                    // As browsers do with a GET (RFC 9110 9.2.2), a request whose reused
                    // connection the proxy closed (a reload) is sent again, once; an answer that
                    // is not 200, or a second failure, is a failed request.
                    let mut answer = client.get(url).send().await;
                    if let Err(error) = &answer
                        && !error.is_timeout()
                    {
                        seen.resent += 1;
                        answer = client.get(url).send().await;
                    }
                    let outcome = match answer {
                        Ok(r) if r.status() == 200 => Ok(()),
                        Ok(r) => Err(r.status().to_string()),
                        Err(e) => Err(error_chain(&e)),
                    };
                    seen.answers.push(Answer {
                        at: Instant::now(),
                        path: path.clone(),
                        outcome,
                        took: asked.elapsed(),
                    });
                    let pause = pause.load(Ordering::Relaxed);
                    if pause > 0 {
                        tokio::time::sleep(Duration::from_millis(pause)).await;
                    }
                }
                seen
            });
        }
        Self { stop, pause, workers, started }
    }

    /// Makes each client pause this long between requests (steady traffic, not a load test).
    #[must_use]
    pub fn pacing(self, pause: Duration) -> Self {
        self.pause.store(u64::try_from(pause.as_millis()).unwrap_or(u64::MAX), Ordering::Relaxed);
        self
    }

    /// Stops the clients and gathers what they saw.
    pub async fn stop(mut self) -> Result<Seen, String> {
        self.stop.store(true, Ordering::Relaxed);
        let mut all = Seen::default();
        while let Some(joined) = self.workers.join_next().await {
            let seen = joined.map_err(|e| format!("a load client failed: {e}"))?;
            all.answers.extend(seen.answers);
            all.resent += seen.resent;
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(at: Instant, ok: bool, ms: u64) -> Answer {
        Answer {
            at,
            path: "/".into(),
            outcome: if ok { Ok(()) } else { Err("502 Bad Gateway".into()) },
            took: Duration::from_millis(ms),
        }
    }

    #[test]
    fn failures_successes_after_and_quantiles_are_counted() {
        let t0 = Instant::now();
        let t1 = t0 + Duration::from_secs(1);
        let answers = (1..=20).map(|ms| answer(t1, true, ms)).chain([answer(t0, false, 1)]).collect();
        let seen = Seen { answers, resent: 1 };
        assert_eq!(seen.failed().len(), 1);
        assert_eq!(seen.succeeded_after(t0), 20);
        assert_eq!(seen.quantile(0.95), Some(Duration::from_millis(19)));
        assert_eq!(seen.first_failures(3, t0), ["/ 502 Bad Gateway at +0.0s"]);
        assert!(seen.summary().starts_with("21 requests, 1 failed, 1 sent again"), "{}", seen.summary());
    }
}
