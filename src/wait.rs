//! The one wait primitive: poll a probe until it is ready, fails, or time runs out.

use std::future::Future;
use std::time::{Duration, Instant};

/// What one look at the thing being waited for found.
#[derive(Debug)]
pub enum Probe<T> {
    /// Ready, with what the caller wanted to know.
    Ready(T),
    /// Not yet; the text says what was seen (it ends up in the timeout error).
    Pending(String),
    /// Will never become ready; stop waiting.
    Failed(String),
}

/// Why waiting ended without success.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    /// Time ran out; `last` is the last state seen.
    #[error("{what}: not ready after {waited:?} (last seen: {last})")]
    Timeout {
        /// What was waited for.
        what: String,
        /// How long we waited.
        waited: Duration,
        /// The last pending state seen.
        last: String,
    },
    /// The probe reported a state that cannot recover.
    #[error("{what}: failed after {waited:?}: {reason}")]
    Failed {
        /// What was waited for.
        what: String,
        /// How long we waited.
        waited: Duration,
        /// Why it cannot become ready.
        reason: String,
    },
}

/// Polls `probe` every `interval` until it is ready, fails, or `timeout` passes.
pub async fn until<T, F, Fut>(what: &str, timeout: Duration, interval: Duration, mut probe: F) -> Result<T, WaitError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Probe<T>>,
{
    let start = Instant::now();
    loop {
        let last = match probe().await {
            Probe::Ready(value) => return Ok(value),
            Probe::Failed(reason) => {
                return Err(WaitError::Failed { what: what.to_owned(), waited: start.elapsed(), reason });
            }
            Probe::Pending(seen) => seen,
        };
        if start.elapsed() >= timeout {
            return Err(WaitError::Timeout { what: what.to_owned(), waited: start.elapsed(), last });
        }
        tokio::time::sleep(interval).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_probe_that_never_gets_ready_times_out_with_its_last_state() {
        let err = until("thing", Duration::from_millis(50), Duration::from_millis(10), || async {
            Probe::<()>::Pending("still starting".into())
        })
        .await
        .unwrap_err();
        assert!(matches!(err, WaitError::Timeout { ref last, .. } if last == "still starting"));
    }

    #[tokio::test]
    async fn a_failed_probe_stops_the_wait_at_once() {
        let err = until("thing", Duration::from_secs(30), Duration::from_millis(10), || async {
            Probe::<()>::Failed("exited 1".into())
        })
        .await
        .unwrap_err();
        assert!(matches!(err, WaitError::Failed { waited, .. } if waited < Duration::from_secs(1)));
    }

    #[tokio::test]
    async fn a_ready_probe_returns_its_value() {
        let mut calls = 0;
        let value = until("thing", Duration::from_secs(5), Duration::from_millis(1), || {
            calls += 1;
            let ready = calls >= 3;
            async move { if ready { Probe::Ready(calls) } else { Probe::Pending("no".into()) } }
        })
        .await
        .unwrap();
        assert_eq!(value, 3);
    }
}
