//! Container introspection: what a running container really got (user, root filesystem,
//! capabilities, limits, mounts, published ports), and how that falls short of our policy.

use std::time::Duration;

use serde::Deserialize;
use tokio::process::Command;

use crate::command::{self, CommandError};

/// The facts `docker inspect` reports that our hardening policy is about.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerFacts {
    /// Container name with a leading slash.
    pub name: String,
    /// Image configuration as run.
    pub config: RunConfig,
    /// Host-side settings.
    pub host_config: HostConfig,
    /// Volumes and bind mounts.
    #[serde(default)]
    pub mounts: Vec<Mount>,
}

/// The part of the container config we check.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunConfig {
    /// `uid[:gid]` or a name; empty means root.
    #[serde(default)]
    pub user: String,
    /// Healthcheck, if the image or compose defines one.
    pub healthcheck: Option<serde_json::Value>,
}

/// The part of the host config we check.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostConfig {
    /// Root filesystem mounted read-only.
    #[serde(default)]
    pub readonly_rootfs: bool,
    /// Capabilities dropped.
    #[serde(default)]
    pub cap_drop: Option<Vec<String>>,
    /// Capabilities added back.
    #[serde(default)]
    pub cap_add: Option<Vec<String>>,
    /// e.g. `no-new-privileges:true`.
    #[serde(default)]
    pub security_opt: Option<Vec<String>>,
    /// Memory limit in bytes (0: none).
    #[serde(default)]
    pub memory: i64,
    /// CPU limit in billionths of a CPU (0: none).
    #[serde(default)]
    pub nano_cpus: i64,
    /// Process limit (None or 0: none).
    #[serde(default)]
    pub pids_limit: Option<i64>,
    /// Restart policy.
    pub restart_policy: RestartPolicy,
    /// Log driver and options.
    pub log_config: LogConfig,
    /// Ports published on the host: container port -> bindings.
    #[serde(default)]
    pub port_bindings: Option<std::collections::BTreeMap<String, Option<Vec<PortBinding>>>>,
    /// Whether the container runs privileged.
    #[serde(default)]
    pub privileged: bool,
}

/// Restart policy name (`no`, `always`, `unless-stopped`, `on-failure`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestartPolicy {
    /// Policy name.
    #[serde(default)]
    pub name: String,
}

/// Log driver and its options.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogConfig {
    /// Driver name.
    #[serde(rename = "Type")]
    pub kind: String,
    /// Driver options such as `max-size`.
    #[serde(default)]
    pub config: std::collections::BTreeMap<String, String>,
}

/// One host binding of a published port.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PortBinding {
    /// Host address (empty: all).
    #[serde(default)]
    pub host_ip: String,
    /// Host port (may be empty or "0" for an ephemeral port).
    #[serde(default)]
    pub host_port: String,
}

/// A mount as docker reports it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Mount {
    /// `bind`, `volume` or `tmpfs`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// Host path or volume name.
    #[serde(default)]
    pub source: String,
    /// Path in the container.
    pub destination: String,
}

/// What a service may have beyond the baseline.
#[derive(Debug, Clone, Default)]
pub struct Allowance {
    /// Capabilities it may add back (e.g. `NET_BIND_SERVICE`).
    pub cap_add: Vec<String>,
    /// Container ports it may publish on the host.
    pub published_ports: Vec<u16>,
    /// A one-shot job: no restart policy or healthcheck expected.
    pub one_shot: bool,
}

/// Reads the facts of container `id`.
pub async fn inspect(id: &str) -> Result<ContainerFacts, InspectError> {
    let mut inspect = Command::new("docker");
    inspect.args(["inspect", "--type", "container", id]);
    let output = command::run(inspect, Duration::from_secs(30)).await?;
    let mut all: Vec<ContainerFacts> = serde_json::from_str(&output.stdout)?;
    all.pop().ok_or_else(|| InspectError::NotFound(id.to_owned()))
}

/// Why a container could not be inspected.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// `docker inspect` failed.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// Its output did not have the expected shape.
    #[error("unexpected `docker inspect` output: {0}")]
    Json(#[from] serde_json::Error),
    /// No such container.
    #[error("no container {0}")]
    NotFound(String),
}

/// Every way `facts` falls short of the hardening policy, one sentence each.
pub fn violations(facts: &ContainerFacts, allowed: &Allowance) -> Vec<String> {
    let host = &facts.host_config;
    let mut found = Vec::new();
    let mut flag = |bad: bool, what: String| if bad { found.push(what) };
    let user = facts.config.user.split(':').next().unwrap_or_default();
    flag(user.parse::<u32>().map_or(true, |uid| uid == 0), format!("runs as user {:?}, not a numeric non-root uid", facts.config.user));
    flag(!host.readonly_rootfs, "root filesystem is writable".into());
    flag(host.privileged, "runs privileged".into());
    let dropped_all = host.cap_drop.iter().flatten().any(|c| c == "ALL" || c == "CAP_ALL");
    flag(!dropped_all, format!("does not drop ALL capabilities (drops {:?})", host.cap_drop));
    for cap in host.cap_add.iter().flatten() {
        let name = cap.trim_start_matches("CAP_");
        flag(!allowed.cap_add.iter().any(|a| a == name), format!("adds capability {cap}"));
    }
    let no_new_privileges = host.security_opt.iter().flatten().any(|o| o == "no-new-privileges:true" || o == "no-new-privileges");
    flag(!no_new_privileges, "may gain privileges (no-new-privileges not set)".into());
    flag(host.memory == 0, "has no memory limit".into());
    flag(host.nano_cpus == 0, "has no CPU limit".into());
    flag(host.pids_limit.unwrap_or(0) <= 0, "has no pids limit".into());
    let rotated = match host.log_config.kind.as_str() {
        "local" => true,
        "json-file" => host.log_config.config.contains_key("max-size"),
        _ => false,
    };
    flag(!rotated, format!("logs are not rotated (driver {})", host.log_config.kind));
    if !allowed.one_shot {
        flag(host.restart_policy.name.is_empty() || host.restart_policy.name == "no", "has no restart policy".into());
        flag(facts.config.healthcheck.is_none(), "has no healthcheck".into());
    }
    for mount in &facts.mounts {
        flag(mount.source.ends_with("docker.sock"), format!("mounts the Docker socket at {}", mount.destination));
    }
    for (port, bindings) in host.port_bindings.iter().flatten() {
        let published = bindings.as_ref().is_some_and(|b| !b.is_empty());
        let container_port: u16 = port.split('/').next().and_then(|p| p.parse().ok()).unwrap_or(0);
        flag(published && !allowed.published_ports.contains(&container_port), format!("publishes port {port} on the host"));
    }
    found
}
