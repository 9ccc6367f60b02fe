//! `docker compose config` rendered into a stable, machine-independent form for snapshots.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use tokio::process::Command;

use crate::command::{self, CommandError};

/// Placeholder that replaces the repository's absolute path in rendered configs.
pub const REPO_PLACEHOLDER: &str = "$REPO";

/// Why a compose configuration could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A compose file is missing.
    #[error("compose file {0} does not exist")]
    MissingFile(PathBuf),
    /// Compose rejected the files (its message names the file and key).
    #[error(transparent)]
    Rejected(#[from] CommandError),
    /// Compose printed something that is not JSON.
    #[error("docker compose config printed invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Renders `files` as project `project` with exactly the variables in `env`: the caller's
/// environment and any `.env` file are ignored, so the result is the same on every machine.
pub async fn render(
    files: &[impl AsRef<Path>],
    project: &str,
    env: &BTreeMap<String, String>,
) -> Result<Value, ConfigError> {
    let mut config = Command::new("docker");
    config.env_clear();
    for kept in ["PATH", "HOME", "DOCKER_CONFIG"] {
        if let Ok(value) = std::env::var(kept) {
            config.env(kept, value);
        }
    }
    config.envs(env);
    config.args(["compose", "--env-file", "/dev/null", "--project-name", project]);
    for file in files {
        let file = file.as_ref();
        if !file.is_file() {
            return Err(ConfigError::MissingFile(file.to_path_buf()));
        }
        config.arg("-f").arg(file);
    }
    config.args(["config", "--format", "json"]);
    let output = command::run(config, Duration::from_secs(60)).await?;
    Ok(serde_json::from_str(&output.stdout)?)
}

/// Replaces every occurrence of `root` in string values with [`REPO_PLACEHOLDER`].
pub fn normalise(value: Value, root: &Path) -> Value {
    let root = root.to_string_lossy();
    map_strings(value, &|s| s.replace(root.as_ref(), REPO_PLACEHOLDER))
}

fn map_strings(value: Value, f: &dyn Fn(&str) -> String) -> Value {
    match value {
        Value::String(s) => Value::String(f(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| map_strings(v, f)).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (f(&k), map_strings(v, f))).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn normalise_replaces_the_root_in_keys_and_nested_values() {
        let rendered = json!({"services": {"app": {"volumes": [{"source": "/x/repo/app"}]}}, "/x/repo": 1});
        let clean = normalise(rendered, Path::new("/x/repo"));
        assert_eq!(clean["services"]["app"]["volumes"][0]["source"], "$REPO/app");
        assert_eq!(clean["$REPO"], 1);
    }
}
