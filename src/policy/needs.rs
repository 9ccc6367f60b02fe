//! Least privilege for networks and volumes: what a service is attached to, against what it
//! declares it needs. One judgement for the compose file (SP108) and the running containers
//! (SP314).

use std::collections::BTreeSet;

use super::Needs;

/// What a service (or container) is attached to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attachment {
    /// Networks it joins, by their compose name.
    pub networks: BTreeSet<String>,
    /// Named volumes it mounts, by compose name, each writable or not (one entry per mount).
    pub volumes: Vec<(String, bool)>,
}

/// Every way `actual` goes beyond `needs`, one sentence each.
pub fn excess(needs: &Needs, actual: &Attachment) -> Vec<String> {
    let mut found = Vec::new();
    for network in actual.networks.difference(&needs.networks) {
        found.push(format!("joins network {network}, which it does not declare (declared: {:?})", needs.networks));
    }
    for (volume, writable) in &actual.volumes {
        match needs.volumes.get(volume) {
            None => found.push(format!(
                "mounts volume {volume}, which belongs to another service (not among its declared volumes)"
            )),
            Some(false) if *writable => {
                found.push(format!("mounts volume {volume} writable, but declares it read-only"))
            }
            Some(_) => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needs() -> Needs {
        Needs {
            networks: BTreeSet::from(["backend".to_owned()]),
            volumes: [("data".to_owned(), true), ("static".to_owned(), false)].into(),
            cap_add: Vec::new(),
        }
    }

    #[test]
    fn what_is_declared_passes() {
        let actual = Attachment {
            networks: ["backend".to_owned()].into(),
            volumes: vec![("data".into(), true), ("static".into(), false)],
        };
        assert!(excess(&needs(), &actual).is_empty());
    }

    #[test]
    fn another_network_another_tiers_volume_and_a_writable_read_only_one_are_named() {
        let actual = Attachment {
            networks: ["backend".to_owned(), "edge".to_owned()].into(),
            volumes: vec![("backup-repo".into(), false), ("static".into(), true)],
        };
        let found = excess(&needs(), &actual).join("\n");
        for said in ["joins network edge", "mounts volume backup-repo", "volume static writable"] {
            assert!(found.contains(said), "{said}: {found}");
        }
    }
}
