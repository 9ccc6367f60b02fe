//! The production stack as the harness boots it: `compose.prod.yml` with generated secrets,
//! ephemeral loopback ports and the one-shot jobs waited for as such; and [`BootedSite`], the
//! one way every test boots it and reaches it.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::probe::tls::{TestCa, TlsError};
use crate::repo;
use crate::site::{Site, SiteError};
use crate::stack::{Ready, Stack, StackError, StackSpec};
use crate::wait::{self, Probe};

/// Uid the app (and the secrets it reads) runs as.
pub const APP_UID: u32 = 10001;

/// The site's name in test stacks (`.test` is reserved: it can never reach a real host).
pub const SERVER_NAME: &str = "stackproof.test";

/// Secrets generated for one test stack, in a private directory removed on drop.
pub struct Secrets {
    dir: tempfile::TempDir,
}

impl Secrets {
    /// Generates fresh random secrets readable only by the app's uid.
    pub fn generate() -> std::io::Result<Self> {
        let dir = tempfile::tempdir()?;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
        let secrets = Self { dir };
        secrets.write("secret_key", &random_hex(32)?)?;
        secrets.write("restic_password", &random_hex(32)?)?;
        Ok(secrets)
    }

    /// Path of the named secret file.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, value: &str) -> std::io::Result<()> {
        let path = self.path(name);
        std::fs::write(&path, value)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400))?;
        chown_to_app(&path)
    }
}

/// Bind-mounted secrets keep their host owner: give them to the app's uid where we may.
fn chown_to_app(path: &Path) -> std::io::Result<()> {
    match std::os::unix::fs::chown(path, Some(APP_UID), Some(APP_UID)) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            // Not root: fall back to a world-readable file in a private temp dir.
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o444))
        }
        other => other,
    }
}

fn random_hex(bytes: usize) -> std::io::Result<String> {
    let mut buffer = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buffer)?;
    Ok(buffer.iter().map(|b| format!("{b:02x}")).collect())
}

/// The production stack spec, ready to `up()`; `secrets` must outlive the stack.
pub fn spec(label: &str, secrets: &Secrets) -> StackSpec {
    spec_of(&repo::path("compose.prod.yml"), label, secrets)
}

/// The same from another copy of `compose.prod.yml` (a changed scratch tree's).
pub fn spec_of(compose: &Path, label: &str, secrets: &Secrets) -> StackSpec {
    StackSpec::new(label, &[compose])
        .with_env("SECRET_KEY_PATH", secrets.path("secret_key").to_string_lossy())
        .with_env("RESTIC_PASSWORD_PATH", secrets.path("restic_password").to_string_lossy())
        .with_env("SERVER_NAME", SERVER_NAME)
        .with_env("PUBLISH_ADDR", "127.0.0.1")
        .with_env("HTTP_PORT", "0")
        .with_env("HTTPS_PORT", "0")
        .with_wait("migrate", Ready::Completed, Duration::from_secs(120))
        .with_default_timeout(Duration::from_secs(120))
}

/// A production stack the harness booted, reached as its users reach it: the proxy's ports on
/// loopback, a certificate from a fresh test CA. The secrets and the CA live as long as it.
pub struct BootedSite {
    /// The stack.
    pub stack: Stack,
    /// The site through its proxy.
    pub site: Site,
    /// The secrets the stack reads.
    pub secrets: Secrets,
    /// The CA that signed the proxy's certificate (its files stay mounted in the proxy).
    pub ca: TestCa,
}

/// Why a production site could not be booted.
#[derive(Debug, thiserror::Error)]
pub enum BootError {
    /// The stack did not come up.
    #[error(transparent)]
    Stack(#[from] StackError),
    /// The test CA or secrets could not be made.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The secrets could not be written.
    #[error("writing the stack's secrets: {0}")]
    Secrets(#[from] std::io::Error),
    /// The site could not be described.
    #[error(transparent)]
    Site(#[from] SiteError),
    /// What was waited for never came.
    #[error(transparent)]
    Wait(#[from] crate::wait::WaitError),
}

impl BootedSite {
    /// Boots the production stack labelled `label`, with `customize` adding overlays, profiles or
    /// variables to its spec (it is given the CA), certificates from a fresh test CA, and finds
    /// the proxy's ports.
    pub async fn boot(label: &str, customize: impl FnOnce(StackSpec, &TestCa) -> StackSpec) -> Result<Self, BootError> {
        Self::boot_from(&repo::path("compose.prod.yml"), label, customize).await
    }

    /// The same from another copy of `compose.prod.yml` (a changed scratch tree's).
    pub async fn boot_from(
        compose: &Path,
        label: &str,
        customize: impl FnOnce(StackSpec, &TestCa) -> StackSpec,
    ) -> Result<Self, BootError> {
        let secrets = Secrets::generate()?;
        let ca = TestCa::generate(SERVER_NAME).await?;
        let spec = customize(
            spec_of(compose, label, &secrets).with_env("TLS_CERTS_SOURCE", ca.certs_dir().to_string_lossy()),
            &ca,
        );
        let stack = spec.up().await?;
        let site = site_of(&stack, std::fs::read(ca.ca_pem())?).await?;
        Ok(Self { stack, site, secrets, ca })
    }

    /// Tears the stack down and checks nothing is left.
    pub async fn down(self) -> Result<(), StackError> {
        self.stack.down().await
    }

    /// Waits until the proxy's upstream lists exactly the running app replicas, and the reload
    /// that follows has settled: a client connection kept across that reload may be closed under
    /// a request, so drills wait for it after replicas change.
    pub async fn wait_until_proxy_follows(&self) -> Result<(), BootError> {
        let stack = &self.stack;
        wait::until(
            "the proxy following the app replicas",
            Duration::from_secs(60),
            Duration::from_millis(500),
            || async {
                let replicas = match stack.replicas("app").await {
                    Ok(replicas) => replicas,
                    Err(error) => return Probe::Pending(error.to_string()),
                };
                let mut running = Vec::new();
                for replica in replicas.iter().filter(|r| r.state == "running") {
                    match stack.address_on(&replica.id, "backend").await {
                        Ok(address) => running.push(address),
                        Err(error) => return Probe::Pending(error.to_string()),
                    }
                }
                running.sort();
                match stack.exec("proxy", &["cat", "/run/nginx/upstream.addresses"], Duration::from_secs(10)).await {
                    Ok(written) => {
                        let mut listed: Vec<String> = written.stdout.split_whitespace().map(str::to_owned).collect();
                        listed.sort();
                        if listed == running && !running.is_empty() {
                            Probe::Ready(())
                        } else {
                            Probe::Pending(format!("upstream {listed:?}, replicas {running:?}"))
                        }
                    }
                    Err(error) => Probe::Pending(error.to_string()),
                }
            },
        )
        .await?;
        // `nginx -s reload` only signals: give the old workers a moment to hand over.
        tokio::time::sleep(Duration::from_secs(2)).await;
        Ok(())
    }
}

/// The site behind `stack`'s proxy on loopback, trusting `ca_pem`.
pub async fn site_of(stack: &Stack, ca_pem: Vec<u8>) -> Result<Site, BootError> {
    let https = stack.host_port("proxy", 8443).await?;
    let http = stack.host_port("proxy", 8080).await?;
    let (base, plain) = (format!("https://127.0.0.1:{https}"), format!("http://127.0.0.1:{http}"));
    Ok(Site::new(&base, Some(SERVER_NAME), Some(&plain), Some(ca_pem)).await?)
}
