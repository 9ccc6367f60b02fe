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
    fn a_service_without_containers_is_pending() {
        assert!(matches!(judge(Ready::Running, &[]), Probe::Pending(_)));
    }
}
