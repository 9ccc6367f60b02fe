//! A compose project under test: booted with testcontainers, waited for service by service,
//! inspected replica by replica, and always torn down (on success, failure, drop or Ctrl-C).

mod helper;
mod ps;
mod readiness;
mod reaper;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use testcontainers::compose::DockerCompose;
use tokio::process::Command;

pub use helper::{Helper, HelperNetwork};
pub use ps::{Publisher, Replica};
pub use readiness::{Ready, ServiceWait};
pub use reaper::{containers_of, reap_orphans_now};

use crate::command::{self, CommandError, Output};
use crate::docker::{self, DockerUnavailable};
use crate::repo;
use crate::wait::{self, WaitError};

/// The Compose project name every stack's images are built under, so that they carry the
/// same labels from one build to the next and a rebuild of unchanged sources is a cache hit.
pub const BUILD_PROJECT: &str = "stackproof-images";

/// Everything that can go wrong with a stack under test; each names the project.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    /// A compose file named in the spec is missing.
    #[error("compose file {0} does not exist")]
    MissingFile(PathBuf),
    /// Docker cannot be used here.
    #[error(transparent)]
    Docker(#[from] DockerUnavailable),
    /// A docker command failed.
    #[error("project {project}: {source}")]
    Command {
        /// Compose project name.
        project: String,
        /// The failing command.
        #[source]
        source: CommandError,
    },
    /// `docker compose up` failed; the services' logs are attached.
    #[error("project {project}: docker compose up failed: {message}\n--- service logs ---\n{logs}")]
    Up {
        /// Compose project name.
        project: String,
        /// What compose said.
        message: String,
        /// Last log lines of every service.
        logs: String,
    },
    /// A service did not become ready; the services' logs are attached.
    #[error("project {project}: {source}\n--- service logs ---\n{logs}")]
    NotReady {
        /// Compose project name.
        project: String,
        /// Which service, and what was last seen.
        #[source]
        source: WaitError,
        /// Last log lines of every service.
        logs: String,
    },
    /// The service has no container.
    #[error("project {project}: service {service} has no container")]
    NoReplica {
        /// Compose project name.
        project: String,
        /// Service asked for.
        service: String,
    },
    /// The service does not publish that port on the host.
    #[error("project {project}: service {service} does not publish container port {port}")]
    NoHostPort {
        /// Compose project name.
        project: String,
        /// Service asked for.
        service: String,
        /// Container port asked for.
        port: u16,
    },
    /// The rendered config cannot say which services to wait for.
    #[error("project {project}: {message}")]
    Config {
        /// Compose project name.
        project: String,
        /// What is wrong with the render.
        message: String,
    },
    /// A container is not on the network asked about.
    #[error("project {project}: container {container} has no address on network {network}")]
    NoAddress {
        /// Compose project name.
        project: String,
        /// The container.
        container: String,
        /// The compose network.
        network: String,
    },
    /// `docker compose ps` printed something we cannot read.
    #[error("project {project}: unreadable `docker compose ps` output: {source}")]
    Ps {
        /// Compose project name.
        project: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// Teardown left containers behind.
    #[error("project {project}: teardown failed: {message}")]
    Teardown {
        /// Compose project name.
        project: String,
        /// What is left, or what failed.
        message: String,
    },
}

/// How to boot a stack: compose files, profiles, environment and per-service waits.
#[derive(Debug, Clone)]
pub struct StackSpec {
    label: String,
    files: Vec<PathBuf>,
    profiles: Vec<String>,
    env: BTreeMap<String, String>,
    waits: Vec<ServiceWait>,
    default_timeout: Duration,
    build: bool,
}

impl StackSpec {
    /// A stack from `files` (the first one's folder is the project directory); `label`
    /// appears in the project name. `BASE_IMAGE` is set from [`repo::base_image`].
    pub fn new(label: &str, files: &[impl AsRef<Path>]) -> Self {
        let env = BTreeMap::from([("BASE_IMAGE".to_owned(), repo::base_image())]);
        Self {
            label: label.to_owned(),
            files: files.iter().map(|f| f.as_ref().to_path_buf()).collect(),
            profiles: Vec::new(),
            env,
            waits: Vec::new(),
            default_timeout: Duration::from_secs(90),
            build: true,
        }
    }

    /// Adds a compose file on top of the others (an overlay).
    pub fn with_file(mut self, file: impl AsRef<Path>) -> Self {
        self.files.push(file.as_ref().to_path_buf());
        self
    }

    /// Activates a compose profile.
    pub fn with_profile(mut self, profile: &str) -> Self {
        self.profiles.push(profile.to_owned());
        self
    }

    /// Sets a variable for compose interpolation.
    pub fn with_env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.insert(key.to_owned(), value.into());
        self
    }

    /// Waits for `service` to reach `ready` within `timeout` (overrides the default wait).
    pub fn with_wait(mut self, service: &str, ready: Ready, timeout: Duration) -> Self {
        self.waits.retain(|w| w.service != service);
        self.waits.push(ServiceWait { service: service.to_owned(), ready, timeout });
        self
    }

    /// Timeout for services without an explicit wait (healthy if they have a healthcheck,
    /// else running).
    pub fn with_default_timeout(mut self, timeout: Duration) -> Self {
        self.default_timeout = timeout;
        self
    }

    /// Whether to `docker compose build` before `up` (default: yes; the build cache makes
    /// a rebuild cheap).
    pub fn with_build(mut self, build: bool) -> Self {
        self.build = build;
        self
    }

    /// Builds the images of `services` (every service with a `build:` when empty), once per
    /// process for the same files, variables and services: stacks booted in parallel wait for
    /// one build instead of racing. The build runs under [`BUILD_PROJECT`], not a stack's unique
    /// name: Compose labels images with the project, so a unique name would make every build a
    /// new image and leave the last one dangling.
    pub async fn build_images(&self, services: &[&str]) -> Result<(), StackError> {
        static BUILT: tokio::sync::Mutex<BTreeSet<String>> = tokio::sync::Mutex::const_new(BTreeSet::new());
        let key = format!("{:?} {:?} {services:?}", self.files, self.compose_env());
        let mut built = BUILT.lock().await;
        if built.contains(&key) {
            return Ok(());
        }
        let started = Instant::now();
        let mut build = self.compose(BUILD_PROJECT);
        build.arg("build").args(services);
        command::run(build, Duration::from_secs(1200))
            .await
            .map_err(|source| StackError::Command { project: BUILD_PROJECT.to_owned(), source })?;
        tracing::info!(label = %self.label, elapsed = ?started.elapsed(), "images built");
        built.insert(key);
        Ok(())
    }

    /// `docker compose` on these files and variables under `project`.
    fn compose(&self, project: &str) -> Command {
        let mut compose = Command::new("docker");
        compose.arg("compose").arg("--project-name").arg(project);
        for file in &self.files {
            compose.arg("-f").arg(file);
        }
        compose.envs(self.compose_env());
        compose
    }

    fn compose_env(&self) -> BTreeMap<String, String> {
        let mut env = self.env.clone();
        if !self.profiles.is_empty() {
            env.insert("COMPOSE_PROFILES".to_owned(), self.profiles.join(","));
        }
        env
    }

    /// Boots the stack and waits for every service; on failure prints the services' logs,
    /// tears everything down and returns the error.
    pub async fn up(self) -> Result<Stack, StackError> {
        if let Some(missing) = self.files.iter().find(|f| !f.is_file()) {
            return Err(StackError::MissingFile(missing.clone()));
        }
        docker::availability()?;
        reaper::reap_orphans();
        let project = reaper::project_name(&self.label);
        reaper::track(&project);
        let mut stack = Stack { spec: self, project, compose: None, down: false };
        match stack.boot().await {
            Ok(()) => Ok(stack),
            Err(error) => {
                eprintln!("stackproof: {error}");
                stack.teardown().await;
                Err(error)
            }
        }
    }
}

/// A running compose project. Dropping it tears it down; prefer [`Stack::down`] to see errors.
pub struct Stack {
    spec: StackSpec,
    project: String,
    compose: Option<DockerCompose>,
    down: bool,
}

impl Stack {
    /// The unique compose project name.
    pub fn project(&self) -> &str {
        &self.project
    }

    /// Every container of `service`, with state, health and host ports.
    pub async fn replicas(&self, service: &str) -> Result<Vec<Replica>, StackError> {
        Ok(self.containers().await?.into_iter().filter(|r| r.service == service).collect())
    }

    /// The host port publishing `port` of the first replica of `service`.
    pub async fn host_port(&self, service: &str, port: u16) -> Result<u16, StackError> {
        let replicas = self.replicas(service).await?;
        let first = replicas
            .first()
            .ok_or_else(|| StackError::NoReplica { project: self.project.clone(), service: service.to_owned() })?;
        first.host_port(port).ok_or_else(|| StackError::NoHostPort {
            project: self.project.clone(),
            service: service.to_owned(),
            port,
        })
    }

    /// Runs `args` inside the first replica of `service` (`docker exec`).
    pub async fn exec(&self, service: &str, args: &[&str], timeout: Duration) -> Result<Output, StackError> {
        let replica = self
            .replicas(service)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| StackError::NoReplica { project: self.project.clone(), service: service.to_owned() })?;
        self.exec_in(&replica, args, timeout).await
    }

    /// Runs `args` inside one given replica (`docker exec`).
    pub async fn exec_in(&self, replica: &Replica, args: &[&str], timeout: Duration) -> Result<Output, StackError> {
        let mut exec = Command::new("docker");
        exec.arg("exec").arg(&replica.id).args(args);
        command::run(exec, timeout).await.map_err(|source| self.command_error(source))
    }

    /// The last `lines` log lines of every service.
    pub async fn logs(&self, lines: usize) -> String {
        let mut logs = self.by_name();
        logs.args(["logs", "--no-color", "--tail", &lines.to_string()]);
        match command::run(logs, Duration::from_secs(30)).await {
            Ok(output) => output.stdout,
            Err(error) => format!("(no logs: {error})"),
        }
    }

    /// Tears the stack down and checks that no container of it is left.
    pub async fn down(mut self) -> Result<(), StackError> {
        self.teardown().await;
        let left = self.containers().await?;
        if left.is_empty() {
            Ok(())
        } else {
            let names: Vec<_> = left.iter().map(|r| r.name.as_str()).collect();
            Err(StackError::Teardown { project: self.project.clone(), message: names.join(", ") })
        }
    }

    async fn boot(&mut self) -> Result<(), StackError> {
        if self.spec.build {
            self.spec.build_images(&[]).await?;
        }
        let started = Instant::now();
        let mut compose = DockerCompose::with_local_client(self.spec.files.as_slice())
            .with_project_name(self.project.clone())
            .with_env_vars(self.spec.compose_env().into_iter().collect())
            .with_build(false)
            .with_wait(false);
        let up = compose.up().await;
        self.compose = Some(compose);
        if let Err(error) = up {
            let logs = self.logs(100).await;
            return Err(StackError::Up { project: self.project.clone(), message: error.to_string(), logs });
        }
        for service_wait in self.waits().await? {
            self.wait_for(&service_wait).await?;
        }
        tracing::info!(project = %self.project, elapsed = ?started.elapsed(), "stack up");
        Ok(())
    }

    /// Explicit waits, plus a default one for every other service in the rendered config.
    async fn waits(&self) -> Result<Vec<ServiceWait>, StackError> {
        let mut config = self.with_files();
        config.args(["config", "--format", "json"]);
        let output = command::run(config, Duration::from_secs(60)).await.map_err(|s| self.command_error(s))?;
        let rendered: serde_json::Value = serde_json::from_str(&output.stdout)
            .map_err(|source| StackError::Ps { project: self.project.clone(), source })?;
        readiness::waits(&rendered, &self.spec.waits, self.spec.default_timeout)
            .map_err(|message| StackError::Config { project: self.project.clone(), message })
    }

    async fn wait_for(&self, service_wait: &ServiceWait) -> Result<(), StackError> {
        let what = format!("service {} ({:?})", service_wait.service, service_wait.ready);
        let result = wait::until(&what, service_wait.timeout, Duration::from_millis(500), || async {
            match self.replicas(&service_wait.service).await {
                Ok(replicas) => readiness::judge(service_wait.ready, &replicas.iter().collect::<Vec<_>>()),
                Err(error) => wait::Probe::Pending(error.to_string()),
            }
        })
        .await;
        match result {
            Ok(()) => Ok(()),
            Err(source) => {
                let logs = self.logs(100).await;
                Err(StackError::NotReady { project: self.project.clone(), source, logs })
            }
        }
    }

    /// Every container of the project, stopped ones included.
    pub async fn containers(&self) -> Result<Vec<Replica>, StackError> {
        let mut ps = self.by_name();
        ps.args(["ps", "--all", "--format", "json"]);
        let output = command::run(ps, Duration::from_secs(30)).await.map_err(|s| self.command_error(s))?;
        ps::parse(&output.stdout).map_err(|source| StackError::Ps { project: self.project.clone(), source })
    }

    async fn teardown(&mut self) {
        if self.down {
            return;
        }
        if let Some(compose) = self.compose.take()
            && let Err(error) = compose.down().await
        {
            tracing::debug!("testcontainers down failed, falling back: {error}");
        }
        let project = self.project.clone();
        let result = tokio::task::spawn_blocking(move || reaper::down_blocking(&project)).await;
        match result {
            Ok(Ok(())) => {}
            Ok(Err(message)) => eprintln!("stackproof: {message}"),
            Err(join) => eprintln!("stackproof: teardown of {} panicked: {join}", self.project),
        }
        reaper::untrack(&self.project);
        self.down = true;
    }

    /// `docker compose` with this stack's files, project name and environment.
    fn with_files(&self) -> Command {
        self.spec.compose(&self.project)
    }

    /// The variables under which a plain `docker compose` (or a script calling it, like
    /// deploy/release.sh) addresses this stack as it was booted: its project, files, profiles and
    /// variables.
    pub fn compose_environment(&self) -> BTreeMap<String, String> {
        let mut env = self.spec.compose_env();
        env.insert("COMPOSE_PROJECT_NAME".to_owned(), self.project.clone());
        let files: Vec<String> = self.spec.files.iter().map(|f| f.to_string_lossy().into_owned()).collect();
        env.insert("COMPOSE_FILE".to_owned(), files.join(":"));
        env
    }

    /// `docker compose` by project name only: needs neither files nor variables.
    fn by_name(&self) -> Command {
        let mut compose = Command::new("docker");
        compose.args(["compose", "--project-name", &self.project]);
        compose.current_dir(reaper::empty_dir());
        compose
    }

    fn command_error(&self, source: CommandError) -> StackError {
        StackError::Command { project: self.project.clone(), source }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if self.down {
            return;
        }
        if let Err(message) = reaper::down_blocking(&self.project) {
            eprintln!("stackproof: {message}");
        }
        reaper::untrack(&self.project);
    }
}
