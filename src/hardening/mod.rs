//! Container introspection: what a running container really got from the engine (user, root
//! filesystem, capabilities, security profiles, namespaces, limits, mounts, networks, ports),
//! judged by the rules of [`rules::ALL`] (`SP3xx`) against what its compose service is allowed.
//! The allowance comes from the compose project (the service's `x-stackproof` role and needs,
//! the harness config's published ports), never from service names in code.

pub mod rules;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use tokio::process::Command;

use crate::check::report::Run;
use crate::command::{self, CommandError};
use crate::policy::{Needs, Project, Role};

/// The facts `docker inspect` reports that the hardening rules are about.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerFacts {
    /// Container name with a leading slash.
    pub name: String,
    /// Image configuration as run.
    pub config: RunConfig,
    /// Host-side settings.
    pub host_config: HostConfig,
    /// Volumes, bind mounts and tmpfs.
    #[serde(default)]
    pub mounts: Vec<Mount>,
    /// The AppArmor profile applied (`unconfined` when none is).
    #[serde(default)]
    pub app_armor_profile: String,
    /// Networks and addresses.
    pub network_settings: NetworkSettings,
}

/// The part of the container config we check.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunConfig {
    /// `uid[:gid]` or a name; empty means root.
    #[serde(default)]
    pub user: String,
    /// Healthcheck, if the image or compose defines one (`{"Test": ["NONE"]}` when disabled).
    pub healthcheck: Option<Value>,
    /// Labels, among them compose's project and service.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
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
    /// e.g. `no-new-privileges:true`, `seccomp=unconfined`.
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
    pub port_bindings: Option<BTreeMap<String, Option<Vec<PortBinding>>>>,
    /// Whether the container runs privileged.
    #[serde(default)]
    pub privileged: bool,
    /// `host`, `bridge`, a network name, or `container:<id>`.
    #[serde(default)]
    pub network_mode: String,
    /// `host` when the container shares the host's process namespace.
    #[serde(default)]
    pub pid_mode: String,
    /// `host` when it shares the host's IPC namespace.
    #[serde(default)]
    pub ipc_mode: String,
    /// `host` when it shares the host's UTS namespace (hostname).
    #[serde(rename = "UTSMode", default)]
    pub uts_mode: String,
    /// `host` when it shares the host's user namespace.
    #[serde(default)]
    pub userns_mode: String,
    /// Host devices passed in.
    #[serde(default)]
    pub devices: Option<Vec<Value>>,
    /// Kernel parameters set for it.
    #[serde(default)]
    pub sysctls: Option<BTreeMap<String, String>>,
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
    pub config: BTreeMap<String, String>,
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
    /// The volume's name (volumes only).
    #[serde(default)]
    pub name: String,
    /// Host path (or the volume's folder on the host).
    #[serde(default)]
    pub source: String,
    /// Path in the container.
    pub destination: String,
    /// Writable.
    #[serde(rename = "RW", default)]
    pub rw: bool,
}

/// The networks a container is attached to.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkSettings {
    /// Network name -> attachment.
    #[serde(default)]
    pub networks: BTreeMap<String, Value>,
}

impl ContainerFacts {
    /// The container's name without the leading slash.
    pub fn short_name(&self) -> &str {
        self.name.trim_start_matches('/')
    }

    /// Its compose service (label), if compose started it.
    pub fn service(&self) -> Option<&str> {
        self.config.labels.get("com.docker.compose.service").map(String::as_str)
    }

    /// Its compose project (label), if compose started it.
    pub fn project(&self) -> Option<&str> {
        self.config.labels.get("com.docker.compose.project").map(String::as_str)
    }

    /// `name` as compose named it in this project (`<project>_<name>`), or as is.
    pub fn unprefixed<'a>(&self, name: &'a str) -> &'a str {
        self.project().and_then(|p| name.strip_prefix(&format!("{p}_"))).unwrap_or(name)
    }
}

/// What a service may have beyond the hardening baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowance {
    /// A one-shot job: no restart policy or healthcheck expected.
    pub one_shot: bool,
    /// Container ports it may publish on the host.
    pub published_ports: Vec<u16>,
    /// Networks, volumes and capabilities it declares it needs.
    pub needs: Needs,
}

impl Allowance {
    /// What `service` of `project` is allowed: its role and needs from `x-stackproof`, and the
    /// container ports of its `ports:` when the harness config lets it publish.
    pub fn of(project: &Project, service: &str) -> Self {
        let rendered = project.services().find(|(name, _)| *name == service).map(|(_, s)| s);
        let published_ports = if project.config.published_ports.contains_key(service) {
            let ports = rendered.and_then(|s| s.get("ports")).and_then(Value::as_array).into_iter().flatten();
            ports.filter_map(|p| p.get("target")?.as_u64()).filter_map(|p| u16::try_from(p).ok()).collect()
        } else {
            Vec::new()
        };
        Self { one_shot: project.role(service) == Role::Oneshot, published_ports, needs: project.needs(service) }
    }
}

/// One running container and what its service is allowed: the input of every hardening rule.
#[derive(Debug, Clone)]
pub struct Container {
    /// What the engine reports.
    pub facts: ContainerFacts,
    /// What its compose service may have.
    pub allowance: Allowance,
    /// Of the networks it is on: which the engine made internal.
    pub internal: BTreeMap<String, bool>,
    /// The networks the project declares internal.
    pub must_be_internal: BTreeSet<String>,
}

/// Inspects `ids` (containers of `project`, the compose project they were started from) and
/// pairs each with its service's allowance.
pub async fn inspect_all(ids: &[String], project: &Project) -> Result<Vec<Container>, InspectError> {
    if ids.is_empty() {
        return Err(InspectError::NoContainers);
    }
    let all: Vec<ContainerFacts> = serde_json::from_str(&docker(&["inspect", "--type", "container"], ids).await?)?;
    let networks: BTreeSet<String> = all.iter().flat_map(|f| f.network_settings.networks.keys().cloned()).collect();
    let internal = network_internal(&networks.into_iter().collect::<Vec<_>>()).await?;
    let must_be_internal = project.internal_networks();
    let mut containers = Vec::new();
    for facts in all {
        let service = facts.service().ok_or_else(|| InspectError::NotCompose(facts.short_name().to_owned()))?;
        let allowance = Allowance::of(project, service);
        let internal = facts
            .network_settings
            .networks
            .keys()
            .map(|n| (n.clone(), internal.get(n).copied().unwrap_or(false)))
            .collect();
        containers.push(Container { facts, allowance, internal, must_be_internal: must_be_internal.clone() });
    }
    Ok(containers)
}

/// Network name -> whether the engine made it internal (no route out).
async fn network_internal(names: &[String]) -> Result<BTreeMap<String, bool>, InspectError> {
    if names.is_empty() {
        return Ok(BTreeMap::new());
    }
    let output = docker(&["network", "inspect", "--format", "{{.Name}} {{.Internal}}"], names).await?;
    Ok(output
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(name, internal)| (name.to_owned(), internal == "true"))
        .collect())
}

async fn docker(args: &[&str], names: &[String]) -> Result<String, InspectError> {
    let mut inspect = Command::new("docker");
    inspect.args(args).args(names);
    Ok(command::run(inspect, Duration::from_secs(30)).await?.stdout)
}

/// Runs every rule over `containers`.
pub fn check(containers: &[Container]) -> Run {
    let findings = rules::ALL.iter().flat_map(|rule| containers.iter().flat_map(|c| (rule.run)(c))).collect();
    Run::new(rules::ALL.iter().map(|rule| &rule.meta).collect(), findings)
}

/// Why containers could not be inspected.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// `docker inspect` failed.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// Its output did not have the expected shape.
    #[error("unexpected `docker inspect` output: {0}")]
    Json(#[from] serde_json::Error),
    /// Nothing to inspect: a check of no container would prove nothing.
    #[error("no container to inspect")]
    NoContainers,
    /// A container compose did not start has no service, hence no allowance.
    #[error("container {0} has no compose service label")]
    NotCompose(String),
}
