//! One-off containers beside a stack: a second client on one of its networks, or a tool in a
//! replica's network namespace. Hardened like the stack's own services (read-only, no
//! capabilities but those asked for, no privilege gain), labelled with the stack's project so
//! teardown finds a stray one, and always removed, also when they run past their deadline.

use std::time::Duration;

use tokio::process::Command;

use super::{Stack, StackError};
use crate::command::{self, Output};

/// Where a helper's network comes from.
#[derive(Debug, Clone)]
pub enum HelperNetwork {
    /// A network of the stack, by its compose name (`edge`, `backend`).
    Joins(String),
    /// The network namespace of a container (its id): the helper sees what it sees.
    SharesWith(String),
}

/// A one-off container to run beside a stack.
#[derive(Debug, Clone)]
pub struct Helper {
    /// The image (one the stack built: no registry is needed).
    pub image: String,
    /// Its network.
    pub network: HelperNetwork,
    /// The command and its arguments.
    pub args: Vec<String>,
    /// `host:container[:ro]` bind mounts or `volume:container` mounts.
    pub mounts: Vec<String>,
    /// `name:address` entries for its /etc/hosts.
    pub add_hosts: Vec<String>,
    /// Capabilities to add back (e.g. `NET_ADMIN` for netem); none by default.
    pub cap_add: Vec<String>,
    /// `uid:gid` to run as.
    pub user: String,
    /// How long it may run.
    pub timeout: Duration,
}

impl Helper {
    /// `args` in `image` on the stack's network `network`, as uid 10001, for at most a minute.
    pub fn on(network: &str, image: &str, args: &[&str]) -> Self {
        Self {
            image: image.to_owned(),
            network: HelperNetwork::Joins(network.to_owned()),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            mounts: Vec::new(),
            add_hosts: Vec::new(),
            cap_add: Vec::new(),
            user: "10001:10001".to_owned(),
            timeout: Duration::from_secs(60),
        }
    }
}

impl Stack {
    /// The engine's name of the stack's compose network `network`.
    pub fn network_name(&self, network: &str) -> String {
        format!("{}_{network}", self.project())
    }

    /// The engine's name of the stack's compose volume `volume`.
    pub fn volume_name(&self, volume: &str) -> String {
        format!("{}_{volume}", self.project())
    }

    /// Runs `helper` to completion and removes it; a non-zero exit is an error with its stderr.
    pub async fn run_helper(&self, helper: &Helper) -> Result<Output, StackError> {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("{}-helper-{n}", self.project());
        let mut run = Command::new("docker");
        run.args([
            "run",
            "--rm",
            "--name",
            &name,
            "--read-only",
            "--cap-drop",
            "ALL",
            "--security-opt",
            "no-new-privileges:true",
        ]);
        run.args([
            "--tmpfs",
            "/tmp",
            "--user",
            &helper.user,
            "--label",
            &format!("com.docker.compose.project={}", self.project()),
        ]);
        match &helper.network {
            HelperNetwork::Joins(network) => run.args(["--network", &self.network_name(network)]),
            HelperNetwork::SharesWith(container) => run.args(["--network", &format!("container:{container}")]),
        };
        for cap in &helper.cap_add {
            run.args(["--cap-add", cap]);
        }
        for mount in &helper.mounts {
            run.args(["--volume", mount]);
        }
        for host in &helper.add_hosts {
            run.args(["--add-host", host]);
        }
        run.arg("--entrypoint").arg(&helper.args[0]).arg(&helper.image).args(&helper.args[1..]);
        let outcome = command::run(run, helper.timeout).await;
        // Gone already after --rm, unless the deadline cut the client off: then it still runs.
        let mut remove = Command::new("docker");
        remove.args(["rm", "--force", &name]);
        let _ = command::run_unchecked(remove, Duration::from_secs(30)).await;
        outcome.map_err(|source| self.command_error(source))
    }

    /// `docker <args>` about this stack, through the one command runner.
    pub async fn docker(&self, args: &[&str], timeout: Duration) -> Result<Output, StackError> {
        let mut docker = Command::new("docker");
        docker.args(args);
        command::run(docker, timeout).await.map_err(|source| self.command_error(source))
    }

    /// The address of container `id` on the stack's network `network`.
    pub async fn address_on(&self, id: &str, network: &str) -> Result<String, StackError> {
        let format = format!("{{{{(index .NetworkSettings.Networks {:?}).IPAddress}}}}", self.network_name(network));
        let output = self.docker(&["inspect", "--format", &format, id], Duration::from_secs(30)).await?;
        let address = output.stdout.trim().to_owned();
        if address.is_empty() || address == "<no value>" {
            let (project, container, network) = (self.project().to_owned(), id.to_owned(), network.to_owned());
            return Err(StackError::NoAddress { project, container, network });
        }
        Ok(address)
    }

    /// The image `service`'s first container runs (a helper can reuse it: no registry needed).
    pub async fn image_of(&self, service: &str) -> Result<String, StackError> {
        let replica =
            self.replicas(service).await?.into_iter().next().ok_or_else(|| StackError::NoReplica {
                project: self.project().to_owned(),
                service: service.to_owned(),
            })?;
        Ok(self
            .docker(&["inspect", "--format", "{{.Config.Image}}", &replica.id], Duration::from_secs(30))
            .await?
            .stdout
            .trim()
            .to_owned())
    }

    /// The last `lines` log lines of `service` (every replica), stdout and stderr.
    pub async fn service_logs(&self, service: &str, lines: usize) -> Result<String, StackError> {
        let mut logs = self.by_name();
        logs.args(["logs", "--no-color", "--no-log-prefix", "--tail", &lines.to_string(), service]);
        let output = command::run(logs, Duration::from_secs(60)).await.map_err(|s| self.command_error(s))?;
        Ok(format!("{}{}", output.stdout, output.stderr))
    }
}
