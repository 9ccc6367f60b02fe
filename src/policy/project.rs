//! A compose project as the rules see it: raw compose texts (for lines and `x-` keys), the
//! documented variables, the harness config, the render by `docker compose config`, and the
//! Dockerfiles of the services it builds.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::dockerfile::Dockerfile;
use super::env_file::EnvFile;
use super::error::{self, LoadError};
use super::harness_config::{self, HarnessConfig};
use super::outline::Outline;
use super::yaml;
use crate::check::{Location, display_path};
use crate::compose_config;

/// The compose extension key that carries stackproof's per-service settings.
pub const EXTENSION: &str = "x-stackproof";

/// What to load: a project directory and, optionally, which files to use in it.
#[derive(Debug, Clone, Default)]
pub struct ProjectOptions {
    /// The project directory; default files are looked for here.
    pub dir: PathBuf,
    /// Compose files (default: the config's prod files, else `compose.prod.yml` if present,
    /// else `compose.yml`).
    pub compose: Vec<PathBuf>,
    /// Env file documenting the variables (default: the config's, else `.env.example`).
    pub env_file: Option<PathBuf>,
    /// Harness config (default: `stackproof.yml` if present).
    pub config: Option<PathBuf>,
}

/// What a service may have beyond the hardening baseline, from its `x-stackproof` mapping:
/// anything more is a finding (SP108 on the compose file, SP314 on the running containers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needs {
    /// Networks it may join; a service that declares none may join only `default`.
    pub networks: BTreeSet<String>,
    /// Named volumes it may mount, each read-only (`false`) or writable (`true`).
    pub volumes: BTreeMap<String, bool>,
    /// Capabilities it may add back after dropping them all.
    pub cap_add: Vec<String>,
}

impl Default for Needs {
    /// What a service that declares nothing may have: the `default` network, nothing more.
    fn default() -> Self {
        Self { networks: BTreeSet::from(["default".to_owned()]), volumes: BTreeMap::new(), cap_add: Vec::new() }
    }
}

/// How a service runs, from `x-stackproof: {role: ...}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Runs for the stack's lifetime (the default).
    Service,
    /// Runs to completion once (migrations, init jobs).
    Oneshot,
}

/// One compose file as written.
#[derive(Debug, Clone)]
pub struct ComposeSource {
    /// The file, as it was named.
    pub path: PathBuf,
    /// Its text.
    pub text: String,
    /// Its YAML, anchors and merge keys resolved, nothing interpolated.
    pub document: Value,
}

impl ComposeSource {
    /// Reads and parses the compose file at `path`.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        Self::parse(path, &error::read(path)?)
    }

    /// Parses `bytes` (the contents of `path`); the top level must be a mapping.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self, LoadError> {
        let text = error::utf8(path, bytes)?.to_owned();
        let document = yaml::parse_mapping(path, bytes)?;
        Ok(Self { path: path.to_path_buf(), text, document })
    }
}

/// What a service builds: its Dockerfile and build settings, from the render.
#[derive(Debug, Clone)]
pub struct Build<'a> {
    /// The Dockerfile (absolute), unless the context is remote or the Dockerfile inline.
    pub dockerfile: Option<PathBuf>,
    /// The build context (absolute, or a URL).
    pub context: &'a str,
    /// `build.target`.
    pub target: Option<&'a str>,
    /// `build.args`.
    pub args: Option<&'a Map<String, Value>>,
}

impl<'a> Build<'a> {
    /// What the rendered `service` builds, if it has `build`.
    pub fn of(service: &'a Value) -> Option<Self> {
        let build = service.get("build")?;
        let context = build.get("context").and_then(Value::as_str).unwrap_or(".");
        let remote = context.contains("://") || context.starts_with("git@");
        let dockerfile = match (build.get("dockerfile_inline"), remote) {
            (None, false) => {
                let name = build.get("dockerfile").and_then(Value::as_str).unwrap_or("Dockerfile");
                Some(Path::new(context).join(name))
            }
            _ => None,
        };
        Some(Build {
            dockerfile,
            context,
            target: build.get("target").and_then(Value::as_str),
            args: build.get("args").and_then(Value::as_object),
        })
    }
}

/// A loaded compose project.
#[derive(Debug)]
pub struct Project {
    root: PathBuf,
    /// The compose files, in order.
    pub compose: Vec<ComposeSource>,
    /// The env file, whose variables the render used.
    pub env: EnvFile,
    /// The harness config (defaults when the project has none).
    pub config: HarnessConfig,
    /// `docker compose config --format json` with every profile active.
    pub rendered: Value,
    dockerfiles: HashMap<PathBuf, Dockerfile>,
}

impl Project {
    /// Loads the project: config, env file, compose files, render, Dockerfiles, in that order.
    pub async fn load(options: &ProjectOptions) -> Result<Self, LoadError> {
        let dir = &options.dir;
        let root = std::fs::read_dir(dir).and_then(|_| std::path::absolute(dir));
        let root = root.map_err(|source| LoadError::read(dir, source))?;
        let config = harness_config(options)?;
        let env = EnvFile::load(&env_file(options, &config))?;
        let files = compose_files(options, &config);
        let compose = files.iter().map(|f| ComposeSource::load(f)).collect::<Result<Vec<_>, _>>()?;
        let rendered = render(&files, &env).await?;
        let mut project = Self { root, compose, env, config, rendered, dockerfiles: HashMap::new() };
        project.dockerfiles = project.load_dockerfiles()?;
        Ok(project)
    }

    fn load_dockerfiles(&self) -> Result<HashMap<PathBuf, Dockerfile>, LoadError> {
        let mut loaded = HashMap::new();
        for (_, service) in self.services() {
            let Some(path) = Build::of(service).and_then(|build| build.dockerfile) else { continue };
            if path.is_file() && !loaded.contains_key(&path) {
                loaded.insert(path.clone(), Dockerfile::load(&path)?);
            }
        }
        Ok(loaded)
    }

    /// The rendered services by name.
    pub fn services(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.rendered.get("services").and_then(Value::as_object).into_iter().flatten().map(|(k, v)| (k.as_str(), v))
    }

    /// The service's `x-stackproof` mapping as written (compose's JSON render drops it), from
    /// the last compose file that sets it.
    pub fn extension(&self, service: &str) -> Option<&Value> {
        self.compose.iter().rev().find_map(|source| source.document.get("services")?.get(service)?.get(EXTENSION))
    }

    /// The service's role.
    pub fn role(&self, service: &str) -> Role {
        match self.extension(service).and_then(|x| x.get("role")).and_then(Value::as_str) {
            Some("oneshot") => Role::Oneshot,
            _ => Role::Service,
        }
    }

    /// What the service declares it needs (`x-stackproof` networks, volumes, cap_add). Values of
    /// the wrong shape are left out here: SP100 reports them against the schema.
    pub fn needs(&self, service: &str) -> Needs {
        let extension = self.extension(service);
        let strings = |key: &str| -> Vec<String> {
            let items = extension.and_then(|x| x.get(key)).and_then(Value::as_array).into_iter().flatten();
            items.filter_map(Value::as_str).map(str::to_owned).collect()
        };
        let mut networks: BTreeSet<String> = strings("networks").into_iter().collect();
        if networks.is_empty() {
            networks.insert("default".to_owned());
        }
        let volumes = extension.and_then(|x| x.get("volumes")).and_then(Value::as_object).into_iter().flatten();
        let volumes = volumes.filter_map(|(name, mode)| Some((name.clone(), mode.as_str()? == "rw"))).collect();
        Needs { networks, volumes, cap_add: strings("cap_add") }
    }

    /// The networks the project declares must stay internal (top-level `x-stackproof:
    /// {internal_networks: [...]}`): no way out of the host.
    pub fn internal_networks(&self) -> BTreeSet<String> {
        let declared =
            self.compose.iter().rev().find_map(|source| source.document.get(EXTENSION)?.get("internal_networks"));
        declared.and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect()
    }

    /// The parsed Dockerfile at `path`, if it exists.
    pub fn dockerfile(&self, path: &Path) -> Option<&Dockerfile> {
        self.dockerfiles.get(path)
    }

    /// Where `keys` (e.g. `services`, `app`, `environment`, `DB_PASSWORD`) are written: the compose
    /// file holding the deepest part of that path, and its line.
    pub fn locate(&self, keys: &[&str]) -> Location {
        let found = self
            .compose
            .iter()
            .filter_map(|source| Outline::new(&source.text).find(keys).map(|(line, depth)| (source, line, depth)))
            .min_by_key(|&(_, _, depth)| Reverse(depth)); // the deepest; on a tie, the first file
        match found {
            Some((source, line, _)) => Location::file(self.relative(&source.path), Some(line)),
            None => Location::file(self.relative(&self.compose[0].path), None),
        }
    }

    /// `path` relative to the project directory, or absolute when outside it.
    pub fn relative(&self, path: &Path) -> PathBuf {
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let canonical_root = std::fs::canonicalize(&self.root).unwrap_or_else(|_| self.root.clone());
        [&self.root, &canonical_root]
            .iter()
            .find_map(|root| absolute.strip_prefix(root).ok())
            .map_or(absolute.clone(), Path::to_path_buf)
    }

    /// Whether `path` lies inside the project directory.
    pub fn contains(&self, path: &Path) -> bool {
        self.relative(path).is_relative()
    }

    /// The project directory as an absolute path.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

fn harness_config(options: &ProjectOptions) -> Result<HarnessConfig, LoadError> {
    let beside = options.dir.join(harness_config::FILE_NAME);
    match &options.config {
        Some(path) => HarnessConfig::load(path),
        None if beside.is_file() => HarnessConfig::load(&beside),
        None => Ok(HarnessConfig::defaults(&options.dir)),
    }
}

fn env_file(options: &ProjectOptions, config: &HarnessConfig) -> PathBuf {
    match (&options.env_file, &config.env_file) {
        (Some(path), _) => path.clone(),
        (None, Some(path)) => config.resolve(path),
        (None, None) => options.dir.join(".env.example"),
    }
}

/// Renders `files` with exactly the env file's variables, and every profile active so that
/// services only some stacks start are checked too.
async fn render(files: &[PathBuf], env: &EnvFile) -> Result<Value, LoadError> {
    let mut variables = env.values().clone();
    variables.insert("COMPOSE_PROFILES".to_owned(), "*".to_owned());
    compose_config::render(files, "stackproof-check", &variables).await.map_err(|source| {
        let files = files.iter().map(|f| display_path(f)).collect::<Vec<_>>().join(", ");
        LoadError::Render { files, source }
    })
}

fn compose_files(options: &ProjectOptions, config: &HarnessConfig) -> Vec<PathBuf> {
    if !options.compose.is_empty() {
        return options.compose.clone();
    }
    if !config.compose.prod.is_empty() {
        return config.compose.prod.iter().map(|f| config.resolve(f)).collect();
    }
    let prod = options.dir.join("compose.prod.yml");
    vec![if prod.is_file() { prod } else { options.dir.join("compose.yml") }]
}
