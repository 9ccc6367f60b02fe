//! When a service counts as ready, judged from its replicas' states.

use std::time::Duration;

use super::ps::Replica;
use crate::wait::Probe;

/// The state a service must reach before the stack counts as up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ready {
    /// Every replica running and its healthcheck passing.
    Healthy,
    /// Every replica running (for services without a healthcheck).
    Running,
    /// A one-shot service that exited 0 (migrations, init jobs).
    Completed,
}

/// What to wait for on one service, and for how long.
#[derive(Debug, Clone)]
pub struct ServiceWait {
    /// Compose service name.
    pub service: String,
    /// The state to reach.
    pub ready: Ready,
    /// How long it may take.
    pub timeout: Duration,
}

/// Every wait of a stack: the `explicit` ones, plus, for every other service of the `rendered`
/// config (`docker compose config --format json`), healthy if it has a healthcheck, else
/// running, within `timeout`. Services scaled to 0 are not waited for. A render without a
/// services mapping is an error: no service would be waited for, and a dead stack would pass.
pub fn waits(
    rendered: &serde_json::Value,
    explicit: &[ServiceWait],
    timeout: Duration,
) -> Result<Vec<ServiceWait>, String> {
    let services = rendered
        .get("services")
        .and_then(serde_json::Value::as_object)
        .ok_or("the rendered config has no services mapping")?;
    if services.is_empty() {
        return Err("the rendered config has no service".into());
    }
    let mut waits = explicit.to_vec();
    for (service, definition) in services {
        let scale = definition.get("deploy").and_then(|d| d.get("replicas")).or_else(|| definition.get("scale"));
        if waits.iter().any(|w| &w.service == service) || scale.and_then(serde_json::Value::as_u64) == Some(0) {
            continue;
        }
        let has_healthcheck = definition.get("healthcheck").is_some_and(|h| h["disable"] != true);
        let ready = if has_healthcheck { Ready::Healthy } else { Ready::Running };
        waits.push(ServiceWait { service: service.clone(), ready, timeout });
    }
    Ok(waits)
}

/// Judges one service from the replicas `ps` listed for it.
pub fn judge(ready: Ready, replicas: &[&Replica]) -> Probe<()> {
    if replicas.is_empty() {
        return Probe::Pending("no container yet".into());
    }
    for replica in replicas {
        let seen = format!("{} is {} {}", replica.name, replica.state, replica.health);
        let exited = replica.state == "exited" || replica.state == "dead";
        match ready {
            Ready::Completed if exited && replica.exit_code == 0 => continue,
            Ready::Completed if exited => {
                return Probe::Failed(format!("{} exited with code {}", replica.name, replica.exit_code));
            }
            _ if exited => {
                return Probe::Failed(format!("{} exited with code {}", replica.name, replica.exit_code));
            }
            Ready::Healthy if replica.health == "unhealthy" => {
                return Probe::Failed(format!("{} reports unhealthy", replica.name));
            }
            Ready::Healthy if replica.health == "healthy" => continue,
            Ready::Running if replica.state == "running" => continue,
            _ => return Probe::Pending(seen),
        }
    }
    Probe::Ready(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replica(state: &str, health: &str, exit_code: i64) -> Replica {
        Replica {
            id: "id".into(),
            name: "p-svc-1".into(),
            service: "svc".into(),
            state: state.into(),
            health: health.into(),
            exit_code,
            publishers: vec![],
        }
    }

    #[test]
    fn healthy_needs_every_replica_healthy() {
        let (a, b) = (replica("running", "healthy", 0), replica("running", "starting", 0));
        assert!(matches!(judge(Ready::Healthy, &[&a]), Probe::Ready(())));
        assert!(matches!(judge(Ready::Healthy, &[&a, &b]), Probe::Pending(_)));
    }

    #[test]
    fn unhealthy_or_exited_fails_at_once() {
        let sick = replica("running", "unhealthy", 0);
        let dead = replica("exited", "", 3);
        assert!(matches!(judge(Ready::Healthy, &[&sick]), Probe::Failed(_)));
        assert!(matches!(judge(Ready::Running, &[&dead]), Probe::Failed(m) if m.contains("code 3")));
    }

    #[test]
    fn completed_means_exit_zero() {
        let ok = replica("exited", "", 0);
        let bad = replica("exited", "", 1);
        let busy = replica("running", "", 0);
        assert!(matches!(judge(Ready::Completed, &[&ok]), Probe::Ready(())));
        assert!(matches!(judge(Ready::Completed, &[&bad]), Probe::Failed(_)));
        assert!(matches!(judge(Ready::Completed, &[&busy]), Probe::Pending(_)));
    }

    #[test]
    fn waits_cover_every_service_but_those_scaled_to_zero_and_a_render_without_services_is_an_error() {
        let rendered = serde_json::json!({"services": {
            "web": {"healthcheck": {"test": ["CMD", "true"]}},
            "job": {},
            "off": {"deploy": {"replicas": 0}},
            "disabled": {"healthcheck": {"disable": true}},
        }});
        let explicit =
            [ServiceWait { service: "job".into(), ready: Ready::Completed, timeout: Duration::from_secs(1) }];
        let waits = waits(&rendered, &explicit, Duration::from_secs(9)).unwrap();
        let got: Vec<(&str, Ready)> = waits.iter().map(|w| (w.service.as_str(), w.ready)).collect();
        assert_eq!(got, [("job", Ready::Completed), ("disabled", Ready::Running), ("web", Ready::Healthy)]);
        assert!(super::waits(&serde_json::json!({}), &[], Duration::from_secs(1)).is_err());
        assert!(super::waits(&serde_json::json!({"services": {}}), &[], Duration::from_secs(1)).is_err());
    }

    #[test]
    fn a_service_without_containers_is_pending() {
        assert!(matches!(judge(Ready::Running, &[]), Probe::Pending(_)));
    }
}
