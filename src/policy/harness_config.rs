//! The harness's own config file, `stackproof.yml`, checked against
//! `schemas/harness-config.schema.json` before it is read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::{self, LoadError, Position};
use super::outline::Outline;
use super::schema::Schema;
use super::yaml;

/// The file name looked for in a project directory when no config is named.
pub const FILE_NAME: &str = "stackproof.yml";

/// Compose files per environment, relative to the config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComposeFiles {
    /// The dev stack (`docker compose up`).
    #[serde(default)]
    pub dev: Vec<PathBuf>,
    /// The production stack, checked by `stackproof check`.
    #[serde(default)]
    pub prod: Vec<PathBuf>,
}

/// What the harness needs to know about a compose project beyond its compose files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HarnessConfig {
    /// The folder relative paths start from (the config file's, or the project's).
    #[serde(skip)]
    pub base: PathBuf,
    /// Compose files per environment.
    #[serde(default)]
    pub compose: ComposeFiles,
    /// The env file documenting every variable (default `.env.example`).
    pub env_file: Option<PathBuf>,
    /// The only services that may publish host ports, and the ports each may publish.
    #[serde(default = "production_ports")]
    pub published_ports: BTreeMap<String, Vec<u16>>,
    /// Compose profiles the stacks use.
    #[serde(default)]
    pub profiles: Vec<String>,
    /// Seconds each service may take to become ready.
    #[serde(default)]
    pub wait_timeouts: BTreeMap<String, u64>,
}

/// The production convention: only `proxy` publishes, on 80 and 443.
fn production_ports() -> BTreeMap<String, Vec<u16>> {
    BTreeMap::from([("proxy".to_owned(), vec![80, 443])])
}

impl HarnessConfig {
    /// The config of a project without a config file, with paths relative to `base`.
    pub fn defaults(base: &Path) -> Self {
        Self {
            base: base.to_path_buf(),
            compose: ComposeFiles::default(),
            env_file: None,
            published_ports: production_ports(),
            profiles: Vec::new(),
            wait_timeouts: BTreeMap::new(),
        }
    }

    /// Reads, validates and parses the config file at `path`.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        Self::parse(path, &error::read(path)?)
    }

    /// Validates and parses `bytes` (the contents of `path`); a schema violation names the key
    /// and its line.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self, LoadError> {
        let document = yaml::parse_mapping(path, bytes)?;
        let violations = Schema::HarnessConfig.violations(&document);
        if let Some(first) = violations.first() {
            let text = String::from_utf8_lossy(bytes);
            let keys: Vec<&str> = first.path.iter().map(String::as_str).collect();
            let at = Outline::new(&text).find(&keys).map(|(line, _)| Position::line(line));
            let message = violations.iter().map(|v| v.message.as_str()).collect::<Vec<_>>().join("; ");
            return Err(LoadError::Invalid { path: path.to_path_buf(), at, message });
        }
        let mut config: Self = serde_json::from_value(document).map_err(|e| LoadError::Invalid {
            path: path.to_path_buf(),
            at: None,
            message: e.to_string(),
        })?;
        config.base = path.parent().unwrap_or(Path::new("")).to_path_buf();
        Ok(config)
    }

    /// `relative` resolved against the config's folder.
    pub fn resolve(&self, relative: &Path) -> PathBuf {
        self.base.join(relative)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<HarnessConfig, LoadError> {
        HarnessConfig::parse(Path::new("conf/stackproof.yml"), text.as_bytes())
    }

    #[test]
    fn a_full_config_is_read_with_paths_relative_to_it() {
        let text = "compose: {prod: [compose.prod.yml]}\npublished_ports: {web: [8443]}\nwait_timeouts: {app: 90}\n";
        let config = parse(text).unwrap();
        assert_eq!(config.resolve(&config.compose.prod[0]), Path::new("conf/compose.prod.yml"));
        assert_eq!(config.published_ports["web"], [8443]);
        assert_eq!(config.wait_timeouts["app"], 90);
    }

    #[test]
    fn without_published_ports_only_the_proxy_publishes_80_and_443() {
        assert_eq!(parse("profiles: [monitoring]\n").unwrap().published_ports, production_ports());
    }

    #[test]
    fn a_schema_violation_names_file_line_and_key() {
        let error = parse("profiles: []\nwait_timeouts:\n  app: 0\n").unwrap_err().to_string();
        assert!(error.starts_with("conf/stackproof.yml:3: wait_timeouts.app is 0"), "{error}");
    }
}
