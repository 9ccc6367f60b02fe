//! Shared by the integration tests: Docker gating, tracing, HTTP and a copy of the app.

#![allow(dead_code)] // each test binary uses its own subset of these helpers

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use stackproof::docker;

/// Sends test tracing (stage timings) to the captured test output.
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "stackproof=info".into()),
        )
        .with_test_writer()
        .try_init();
}

/// Whether Docker can be used. When it cannot: fails the test where Docker is required (CI,
/// `STACKPROOF_REQUIRE_DOCKER=1`), else prints a loud skip line that test capture does not hide.
pub fn docker_or_skip(test: &str) -> bool {
    init_tracing();
    match docker::availability() {
        Ok(()) => true,
        Err(reason) if docker::required_by_env() => {
            panic!("{test}: Docker is required here ({}=1 or CI=true) but {reason}", docker::REQUIRE_DOCKER_VAR)
        }
        Err(reason) => {
            let line = format!("\n*** SKIPPED {test}: {reason} ***\n");
            let _ = std::io::stderr().write_all(line.as_bytes());
            false
        }
    }
}

/// Returns early from a test (with `Ok(())`) when Docker is absent and not required.
#[macro_export]
macro_rules! require_docker {
    ($test:expr) => {
        if !util::docker_or_skip($test) {
            return Ok(());
        }
    };
}

/// An HTTP client with a short timeout and no redirects followed.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client can be built")
}

/// Copies the app's source (without wheels and caches) to `dest`, readable by the
/// container's non-root user.
pub fn copy_app_source(src: &Path, dest: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dest)?;
    std::fs::set_permissions(dest, std::fs::Permissions::from_mode(0o755))?;
    for entry in std::fs::read_dir(src)? {
        let entry = entry?;
        let name = entry.file_name();
        if ["wheels", "__pycache__", ".pytest_cache"].contains(&name.to_string_lossy().as_ref()) {
            continue;
        }
        let target = dest.join(&name);
        if entry.file_type()?.is_dir() {
            copy_app_source(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644))?;
        }
    }
    Ok(())
}
