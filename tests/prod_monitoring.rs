//! Monitoring proven on the running production stack, not just configured: every scrape target
//! is up (each app replica found by DNS, the exporters, the site probe through the proxy with
//! the certificate verified, Alertmanager, Prometheus), every dashboard query runs and either
//! returns data or reads only metrics a live scrape has, and a stopped replica raises
//! AppReplicaDown at a webhook within a bounded time and resolves after it starts again (both
//! delays printed). One stack boot (`compose.prod.yml` plus `fixtures/monitoring/compose.yml`),
//! many named checks (`tests/monitoring/checks.rs`).

mod monitoring;
mod util;

use anyhow::Result;
use monitoring::Monitoring;
use stackproof::prod;

#[tokio::test]
async fn monitoring_sees_every_target_and_alerts_end_to_end() -> Result<()> {
    require_docker!("monitoring_sees_every_target_and_alerts_end_to_end");
    let secrets = prod::Secrets::generate()?;
    let monitoring = Monitoring::boot(prod::spec("prod-monitoring", &secrets)).await?;
    let outcome = util::run_checks(&monitoring, monitoring::checks::all()).await;
    monitoring.stack.down().await?;
    outcome
}
