//! App images for the drills: the app of a tree, changed as a release would change it (a new
//! migration, a bug), built and tagged without touching any other image.

use std::path::Path;
use std::time::Duration;

use tokio::process::Command;

use crate::check::case;
use crate::command;
use crate::observe::ObserveError;
use crate::repo;

/// The app images' repository, as compose.prod.yml names them.
pub const REPOSITORY: &str = "stackproof/app";

/// Builds `root`'s app, changed by `change` (given the copy's `app/` folder), as
/// `stackproof/app:<tag>`, reporting `tag` as its version; returns the image id.
pub async fn build_app(
    root: &Path,
    tag: &str,
    change: impl FnOnce(&Path) -> std::io::Result<()>,
) -> Result<String, ObserveError> {
    let observe = |what: &str, e: &dyn std::fmt::Display| ObserveError::Observation(format!("{what}: {e}"));
    let copy = tempfile::tempdir().map_err(|e| observe("a scratch folder", &e))?;
    case::copy_tree(root, &["app"], copy.path()).map_err(|e| observe("copying the app", &e))?;
    let app = copy.path().join("app");
    change(&app).map_err(|e| observe("changing the app", &e))?;
    let image = format!("{REPOSITORY}:{tag}");
    let mut build = Command::new("docker");
    build
        .args(["build", "--quiet", "--target", "prod", "--tag", &image])
        .args(["--build-arg", &format!("BASE_IMAGE={}", repo::base_image())])
        .args(["--build-arg", &format!("APP_VERSION={tag}")])
        .arg(&app);
    let built = command::run(build, Duration::from_secs(900)).await?;
    Ok(built.stdout.trim().to_owned())
}
