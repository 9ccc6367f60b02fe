//! The real nginx configuration passes `nginx -t` inside the proxy image (its own nginx, its own
//! paths, read-only root as in production), and a broken copy fails it naming the file and line.
//! The entrypoint's replica watcher adds a replica that appears while it starts. Needs Docker to
//! build and run the image; no stack.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use stackproof::command::{self, Finished};
use stackproof::stack::StackSpec;
use stackproof::suite::{Requirement, Suite};
use stackproof::wait::{self, Probe};
use stackproof::{prod, repo};
use tokio::process::Command;

use crate::trial;

const IMAGE: &str = "stackproof/proxy:prod";

async fn build() -> Result<(), String> {
    let spec =
        StackSpec::new("proxy-image", &[repo::path("compose.prod.yml")]).with_env("SERVER_NAME", prod::SERVER_NAME);
    spec.build_images(&["proxy"]).await.map_err(|e| e.to_string())
}

/// The suite.
pub fn suite() -> Suite<()> {
    Suite::new("proxy-config", || Box::pin(build()), |()| Box::pin(async { Ok(()) }))
        .requires(Requirement::Docker)
        .with(trial!(
            "the-real-config-passes-nginx-t-and-a-broken-copy-fails-with-its-line",
            (),
            nginx_t_passes_and_fails
        ))
        .with(trial!("a-replica-that-appears-while-the-proxy-starts-joins-the-upstream", (), late_replica_joins))
        .with(trial!("only-ready-undrained-replicas-are-routed-to", (), ready_and_drained))
}

/// `docker run` of the proxy image, hardened as in production (read-only root with its tmpfs
/// mounts, no capabilities, no-new-privileges), with `options` before the image.
fn run_hardened(options: &[&str]) -> Command {
    let mut run = Command::new("docker");
    run.args(["run", "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true"]);
    run.args([
        "--tmpfs",
        "/tmp",
        "--tmpfs",
        "/run",
        "--tmpfs",
        "/var/lib/nginx",
        "-e",
        &format!("SERVER_NAME={}", prod::SERVER_NAME),
    ]);
    run.args(options).arg(IMAGE);
    run
}

/// `nginx -t` in the hardened image, with `mounts` added.
async fn nginx_t(mounts: &[String]) -> Result<Finished> {
    let mut options = vec!["--rm"];
    for mount in mounts {
        options.extend(["-v", mount]);
    }
    let mut run = run_hardened(&options);
    run.args(["nginx", "-t"]);
    Ok(command::run_unchecked(run, Duration::from_secs(60)).await?)
}

async fn nginx_t_passes_and_fails(_: &()) -> Result<()> {
    let real = nginx_t(&[]).await?;
    ensure!(
        real.success && real.stderr.contains("test is successful"),
        "nginx -t failed on the real config: {}",
        real.stderr
    );
    let original = std::fs::read_to_string(repo::path("deploy/nginx/conf.d/30-https.conf"))?;
    ensure!(original.contains("ssl_protocols TLSv1.2 TLSv1.3;"), "the mutation target is gone");
    let dir = tempfile::tempdir()?;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
    let broken = dir.path().join("30-https.conf");
    std::fs::write(&broken, original.replace("ssl_protocols TLSv1.2 TLSv1.3;", "ssl_protocols TLSv1.2 TLSv1.3"))?;
    std::fs::set_permissions(&broken, std::fs::Permissions::from_mode(0o644))?;
    let mutant = nginx_t(&[format!("{}:/etc/nginx/conf.d/30-https.conf:ro", broken.display())]).await?;
    ensure!(!mutant.success, "nginx -t accepted a missing semicolon");
    ensure!(
        mutant.stderr.contains("/etc/nginx/conf.d/30-https.conf:"),
        "the error does not name the file and line: {}",
        mutant.stderr
    );
    Ok(())
}

/// A detached container, removed when dropped (also when the trial fails).
struct Running(String);

impl Drop for Running {
    fn drop(&mut self) {
        let mut remove = std::process::Command::new("docker");
        remove.args(["rm", "--force", &self.0]);
        let _ = command::run_blocking(remove, Duration::from_secs(30));
    }
}

/// `docker exec` of `args` in `container`.
async fn exec(container: &str, args: &[&str]) -> Result<String> {
    let mut exec = Command::new("docker");
    exec.arg("exec").arg(container).args(args);
    Ok(command::run(exec, Duration::from_secs(10)).await?.stdout)
}

/// Waits until the proxy routes to exactly `want`.
async fn routes(container: &str, want: &str) -> Result<()> {
    wait::until(&format!("the upstream on {want}"), Duration::from_secs(15), Duration::from_millis(500), || async {
        match exec(container, &["entrypoint.sh", "upstream"]).await {
            Ok(now) if now.split_whitespace().collect::<Vec<_>>() == want.split_whitespace().collect::<Vec<_>>() => {
                Probe::Ready(())
            }
            Ok(now) => Probe::Pending(format!("it routes to {now:?}")),
            // Not started yet: the entrypoint writes the upstream before nginx starts.
            Err(error) => Probe::Pending(error.to_string()),
        }
    })
    .await?;
    Ok(())
}

/// The watcher routes only to replicas whose readiness path answers 200 (the fixture's DNS has
/// one that answers and one that never does), drops a drained one, falls back to every
/// undrained one when none is ready, and routes to the drained one again once undrained.
async fn ready_and_drained(_: &()) -> Result<()> {
    let fake = repo::path("fixtures/proxy/getent-one-ready-replica");
    let name = format!("sp{}-proxy-ready", std::process::id());
    let getent = format!("{}:/usr/local/bin/getent:ro", fake.display());
    let env = ["-e", "REPLICA_POLL_SECONDS=1", "-e", "APP_PORT=8081", "-e", "READY_PATH=/stub_status"];
    let mut options = vec!["--detach", "--name", &name, "-v", &getent];
    options.extend(env);
    let mut run = run_hardened(&options);
    let container = Running(name);
    command::run(std::mem::replace(&mut run, Command::new("true")), Duration::from_secs(60)).await?;
    routes(&container.0, "127.0.0.1").await.context("only the ready replica")?;
    exec(&container.0, &["entrypoint.sh", "drain", "127.0.0.1"]).await?;
    routes(&container.0, "10.99.0.2").await.context("none ready once it is drained: every undrained one")?;
    exec(&container.0, &["entrypoint.sh", "undrain", "127.0.0.1"]).await?;
    routes(&container.0, "127.0.0.1").await.context("the undrained replica again")?;
    let refused = {
        let mut exec = Command::new("docker");
        exec.args(["exec", &container.0, "entrypoint.sh", "drain", "not-an-address"]);
        command::run_unchecked(exec, Duration::from_secs(10)).await?
    };
    ensure!(
        !refused.success && refused.stderr.contains("not an IPv4 address"),
        "drain took a bad address: {}",
        refused.said()
    );
    Ok(())
}

/// The upstream block is written from a DNS answer at start, then kept in step with DNS by a
/// watcher. A replica that registers between the two (seen once in CI: the proxy then sent
/// every request to one replica) must still be added: `getent` is replaced by a fixture whose
/// first answer has one replica and every later one two.
async fn late_replica_joins(_: &()) -> Result<()> {
    let fake = repo::path("fixtures/proxy/getent-replica-appears-at-start");
    let name = format!("sp{}-proxy-replicas", std::process::id());
    let getent = format!("{}:/usr/local/bin/getent:ro", fake.display());
    let mut run = run_hardened(&["--detach", "--name", &name, "-e", "REPLICA_POLL_SECONDS=1", "-v", &getent]);
    let container = Running(name);
    command::run(std::mem::replace(&mut run, Command::new("true")), Duration::from_secs(60)).await?;
    let both =
        wait::until("both replicas in the upstream", Duration::from_secs(15), Duration::from_millis(500), || async {
            let mut read = Command::new("docker");
            read.args(["exec", &container.0, "cat", "/run/nginx/upstream.conf"]);
            match command::run(read, Duration::from_secs(10)).await {
                Ok(read)
                    if read.stdout.contains("server 10.99.0.2:8000")
                        && read.stdout.contains("server 10.99.0.3:8000") =>
                {
                    Probe::Ready(())
                }
                Ok(read) => {
                    Probe::Pending(format!("the upstream lacks the replica that appeared at start:\n{}", read.stdout))
                }
                // Not started yet: the entrypoint writes the upstream before nginx starts.
                Err(error) => Probe::Pending(format!("docker exec: {error}")),
            }
        })
        .await;
    if let Err(error) = both {
        let mut logs = Command::new("docker");
        logs.args(["logs", &container.0]);
        let said = command::run_unchecked(logs, Duration::from_secs(30)).await?.said();
        bail!("{error}\nproxy logs:\n{said}");
    }
    Ok(())
}
