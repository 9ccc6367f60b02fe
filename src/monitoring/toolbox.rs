//! A container of a production image with the configuration mounted read-only, in which the
//! monitoring's own tools (promtool, amtool, the check scripts) judge it: nothing is installed
//! on the host. One testcontainers `GenericImage` per toolbox, removed when dropped; tools run
//! in it through `docker exec` and the one command runner, with a deadline.

use std::path::Path;
use std::time::Duration;

use testcontainers::core::{AccessMode, Mount};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};
use tokio::process::Command;

use crate::command::{self, CommandError, Finished};

/// How long one tool may run.
const TOOL_TIMEOUT: Duration = Duration::from_secs(120);

/// Why a toolbox could not start or run a tool.
#[derive(Debug, thiserror::Error)]
pub enum ToolboxError {
    /// testcontainers could not start the container or exec in it.
    #[error("toolbox {image}: {source}")]
    Container {
        /// The image.
        image: String,
        /// What failed.
        #[source]
        source: testcontainers::TestcontainersError,
    },
    /// `docker exec` could not run the tool, or it ran past its deadline.
    #[error("toolbox {image}: {source}")]
    Command {
        /// The image.
        image: String,
        /// What failed.
        #[source]
        source: CommandError,
    },
}

/// A running container of `image` with `deploy/` and `docs/` of a tree mounted at `/repo`.
pub struct Toolbox {
    image: String,
    container: ContainerAsync<GenericImage>,
}

impl Toolbox {
    /// Starts `image` (`name:tag`, built locally) with `tree`'s `deploy/` and `docs/` mounted
    /// read-only, hardened like the stack's services.
    pub async fn start(image: &str, tree: &Path) -> Result<Self, ToolboxError> {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (name, tag) = image.rsplit_once(':').unwrap_or((image, "latest"));
        let mount = |dir: &str| {
            Mount::bind_mount(tree.join(dir).to_string_lossy(), format!("/repo/{dir}"))
                .with_access_mode(AccessMode::ReadOnly)
        };
        let request = GenericImage::new(name, tag)
            .with_entrypoint("sleep")
            .with_cmd(["infinity"])
            .with_mount(mount("deploy"))
            .with_mount(mount("docs"))
            .with_mount(Mount::tmpfs_mount("/tmp"))
            .with_readonly_rootfs(true)
            .with_cap_drop("ALL")
            .with_security_opt("no-new-privileges:true")
            // `sp<pid>-`: the reaper removes it if this process dies without dropping it.
            .with_container_name(format!("sp{}-toolbox-{n}", std::process::id()));
        let container =
            request.start().await.map_err(|source| ToolboxError::Container { image: image.to_owned(), source })?;
        Ok(Self { image: image.to_owned(), container })
    }

    /// Runs `args` from `/repo` with `env` added; how it ended, whatever its exit status.
    pub async fn run(&self, env: &[(&str, &str)], args: &[&str]) -> Result<Finished, ToolboxError> {
        let mut exec = Command::new("docker");
        exec.args(["exec", "--workdir", "/repo"]);
        for (key, value) in env {
            exec.arg("--env").arg(format!("{key}={value}"));
        }
        exec.arg(self.container.id()).args(args);
        command::run_unchecked(exec, TOOL_TIMEOUT)
            .await
            .map_err(|source| ToolboxError::Command { image: self.image.clone(), source })
    }
}
