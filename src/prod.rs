//! The production stack as the harness boots it: `compose.prod.yml` with generated secrets,
//! ephemeral loopback ports and the one-shot jobs waited for as such.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::hardening::Allowance;
use crate::repo;
use crate::stack::{Ready, StackSpec};

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
    StackSpec::new(label, &[repo::path("compose.prod.yml")])
        .with_env("SECRET_KEY_PATH", secrets.path("secret_key").to_string_lossy())
        .with_env("RESTIC_PASSWORD_PATH", secrets.path("restic_password").to_string_lossy())
        .with_env("SERVER_NAME", SERVER_NAME)
        .with_env("PUBLISH_ADDR", "127.0.0.1")
        .with_env("HTTP_PORT", "0")
        .with_env("HTTPS_PORT", "0")
        .with_wait("migrate", Ready::Completed, Duration::from_secs(120))
        .with_default_timeout(Duration::from_secs(120))
}

/// What each production service may have beyond the hardening baseline.
pub fn allowance(service: &str) -> Allowance {
    match service {
        "migrate" => Allowance { one_shot: true, ..Allowance::default() },
        "proxy" => Allowance { published_ports: vec![8080, 8443], ..Allowance::default() },
        _ => Allowance::default(),
    }
}
