//! The real nginx configuration passes `nginx -t` inside the proxy image (its own nginx, its
//! own paths, read-only root as in production), and a broken copy fails it naming the file
//! and line. Needs Docker to build and run the image; no stack.

mod util;

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

use anyhow::{Result, ensure};
use stackproof::{prod, repo};

const IMAGE: &str = "stackproof/proxy:prod";

fn build_proxy_image() -> Result<()> {
    let output = Command::new("docker")
        .args(["compose", "--project-name", stackproof::stack::BUILD_PROJECT, "-f"])
        .arg(repo::path("compose.prod.yml"))
        .arg("--env-file")
        .arg(repo::path(".env.example"))
        .args(["build", "proxy"])
        .env("BASE_IMAGE", repo::base_image())
        .output()?;
    ensure!(output.status.success(), "building the proxy image failed: {}", String::from_utf8_lossy(&output.stderr));
    Ok(())
}

/// `nginx -t` in the image, hardened as in production, with `mounts` added.
fn nginx_t(mounts: &[String]) -> Result<Output> {
    let mut run = Command::new("docker");
    run.args(["run", "--rm", "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true"]);
    run.args(["--tmpfs", "/tmp", "--tmpfs", "/run", "--tmpfs", "/var/lib/nginx", "-e", &format!("SERVER_NAME={}", prod::SERVER_NAME)]);
    for mount in mounts {
        run.args(["-v", mount]);
    }
    Ok(run.args([IMAGE, "nginx", "-t"]).output()?)
}

#[test]
fn the_real_proxy_config_passes_nginx_t_and_a_broken_copy_fails_with_its_line() -> Result<()> {
    require_docker!("the_real_proxy_config_passes_nginx_t_and_a_broken_copy_fails_with_its_line");
    build_proxy_image()?;
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
