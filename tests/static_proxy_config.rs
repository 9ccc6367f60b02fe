//! The real nginx configuration passes `nginx -t` inside the proxy image (its own nginx, its
//! own paths, read-only root as in production), and a broken copy fails it naming the file
//! and line. The entrypoint's replica watcher adds a replica that appears while it starts.
//! Needs Docker to build and run the image; no stack.

mod util;

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use stackproof::stack::StackSpec;
use stackproof::wait::{self, Probe};
use stackproof::{prod, repo};

const IMAGE: &str = "stackproof/proxy:prod";

async fn build_proxy_image() -> Result<()> {
    let spec = StackSpec::new("proxy-image", &[repo::path("compose.prod.yml")]).with_env("SERVER_NAME", prod::SERVER_NAME);
    Ok(spec.build_images(&["proxy"]).await?)
}

/// `docker run` of the proxy image, hardened as in production (read-only root with its tmpfs
/// mounts, no capabilities, no-new-privileges), with `options` before the image.
fn run_hardened(options: &[&str]) -> Command {
    let mut run = Command::new("docker");
    run.args(["run", "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true"]);
    run.args(["--tmpfs", "/tmp", "--tmpfs", "/run", "--tmpfs", "/var/lib/nginx", "-e", &format!("SERVER_NAME={}", prod::SERVER_NAME)]);
    run.args(options).arg(IMAGE);
    run
}

/// `nginx -t` in the hardened image, with `mounts` added.
fn nginx_t(mounts: &[String]) -> Result<Output> {
    let mut options = vec!["--rm"];
    for mount in mounts {
        options.extend(["-v", mount]);
    }
    Ok(run_hardened(&options).args(["nginx", "-t"]).output()?)
}

#[tokio::test]
async fn the_real_proxy_config_passes_nginx_t_and_a_broken_copy_fails_with_its_line() -> Result<()> {
    require_docker!("the_real_proxy_config_passes_nginx_t_and_a_broken_copy_fails_with_its_line");
    build_proxy_image().await?;
    let real = nginx_t(&[])?;
    let said = String::from_utf8_lossy(&real.stderr);
    ensure!(real.status.success() && said.contains("test is successful"), "nginx -t failed on the real config: {said}");

    let original = std::fs::read_to_string(repo::path("deploy/nginx/conf.d/30-https.conf"))?;
    ensure!(original.contains("ssl_protocols TLSv1.2 TLSv1.3;"), "the mutation target is gone");
    let dir = tempfile::tempdir()?;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
    let broken = dir.path().join("30-https.conf");
    std::fs::write(&broken, original.replace("ssl_protocols TLSv1.2 TLSv1.3;", "ssl_protocols TLSv1.2 TLSv1.3"))?;
    std::fs::set_permissions(&broken, std::fs::Permissions::from_mode(0o644))?;
    let mutant = nginx_t(&[format!("{}:/etc/nginx/conf.d/30-https.conf:ro", broken.display())])?;
    let said = String::from_utf8_lossy(&mutant.stderr);
    ensure!(!mutant.status.success(), "nginx -t accepted a missing semicolon");
    ensure!(said.contains("/etc/nginx/conf.d/30-https.conf:"), "the error does not name the file and line: {said}");
    Ok(())
}

/// A detached container, removed when dropped (also when the test fails).
struct Running(String);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "--force", &self.0]).output();
    }
}

/// The upstream block is written from a DNS answer at start, then kept in step with DNS by a
/// watcher. A replica that registers between the two (seen once in CI: the proxy then sent
/// every request to one replica) must still be added: `getent` is replaced by a fixture whose
/// first answer has one replica and every later one two.
#[tokio::test]
async fn a_replica_that_appears_while_the_proxy_starts_joins_the_upstream() -> Result<()> {
    require_docker!("a_replica_that_appears_while_the_proxy_starts_joins_the_upstream");
    build_proxy_image().await?;
    let fake = repo::path("fixtures/proxy/getent-replica-appears-at-start");
    let name = format!("sp{}-proxy-replicas", std::process::id());
    let getent = format!("{}:/usr/local/bin/getent:ro", fake.display());
    let started = run_hardened(&["--detach", "--name", &name, "-e", "REPLICA_POLL_SECONDS=1", "-v", &getent]).output()?;
    ensure!(started.status.success(), "docker run {IMAGE}: {}", String::from_utf8_lossy(&started.stderr));
    let container = Running(name);

    let both = wait::until("both replicas in the upstream", Duration::from_secs(15), Duration::from_millis(500), || async {
        let read = Command::new("docker").args(["exec", &container.0, "cat", "/run/nginx/upstream.conf"]).output();
        match read {
            Ok(read) => {
                let upstream = String::from_utf8_lossy(&read.stdout).into_owned();
                if upstream.contains("server 10.99.0.2:8000") && upstream.contains("server 10.99.0.3:8000") {
                    Probe::Ready(())
                } else {
                    Probe::Pending(format!("the upstream lacks the replica that appeared at start:\n{upstream}"))
                }
            }
            Err(error) => Probe::Failed(format!("docker exec: {error}")),
        }
    })
    .await;
    if let Err(error) = both {
        let logs = Command::new("docker").args(["logs", &container.0]).output().context("docker logs")?;
        bail!("{error}\nproxy logs:\n{}", String::from_utf8_lossy(&logs.stderr));
    }
    Ok(())
}
