//! Kubernetes manifests judged without a cluster: every resource `kustomization.yaml` lists,
//! read as it is written, beside what the compose project runs as its app. The rules
//! ([`rules::ALL`], `SP2xx`) each return findings naming the file, the resource and the field.

pub mod rules;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::check::Location;
use crate::policy::{LoadError, yaml};

/// The kustomization file that lists the resources.
pub const KUSTOMIZATION: &str = "kustomization.yaml";

/// One object of a manifest file.
#[derive(Debug, Clone)]
pub struct Resource {
    /// The file as `kustomization.yaml` lists it.
    pub file: String,
    /// Where the file was read from.
    pub path: PathBuf,
    /// 1-based line of the object's `name:` in its file, if found.
    pub line: Option<usize>,
    /// `kind`.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// The whole object.
    pub body: Value,
}

impl Resource {
    /// `Kind/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }

    /// Where a finding about this resource is.
    pub fn location(&self) -> Location {
        Location::file(&self.path, self.line).with_service(self.id())
    }

    /// The pod template's spec, for workloads.
    pub fn pod_spec(&self) -> &Value {
        &self.body["spec"]["template"]["spec"]
    }

    /// The pod template's labels, for workloads.
    pub fn pod_labels(&self) -> &Value {
        &self.body["spec"]["template"]["metadata"]["labels"]
    }

    /// The containers of one of the pod's container lists, each with its field path.
    pub fn containers_in(&self, list_name: &str) -> Vec<(String, &Value)> {
        list(&self.pod_spec()[list_name])
            .iter()
            .map(|c| (format!("spec.template.spec.{list_name}[{}]", c["name"].as_str().unwrap_or("?")), c))
            .collect()
    }

    /// Init containers, then containers.
    pub fn all_containers(&self) -> Vec<(String, &Value)> {
        [self.containers_in("initContainers"), self.containers_in("containers")].concat()
    }
}

/// What compose runs as its app, which the manifests must agree with.
#[derive(Debug, Clone)]
pub struct ComposeApp {
    /// The app service's image, as compose renders it with no variable set.
    pub image: String,
    /// The port gunicorn binds.
    pub port: u64,
    /// The database path the app opens when `STOCKAPP_DATABASE` is not set.
    pub default_database: String,
}

impl ComposeApp {
    /// The `app` service of a loaded compose project: its image, the port gunicorn binds
    /// (`GUNICORN_BIND` in its environment, else the default in its build context's
    /// gunicorn.conf.py) and the database path the app defaults to (its stockapp/config.py).
    /// Why not, when the project has no such service or files.
    pub fn of(project: &crate::policy::Project) -> Result<Self, String> {
        let (_, app) =
            project.services().find(|(name, _)| *name == "app").ok_or("the compose project has no app service")?;
        let context = PathBuf::from(app["build"]["context"].as_str().ok_or("services.app builds from no context")?);
        Self::of_service(app, &context)
    }

    /// The same, from the `app` service's definition and its build context folder.
    pub fn of_service(app: &Value, context: &Path) -> Result<Self, String> {
        let image = app["image"].as_str().ok_or("services.app.image is not set")?;
        let image = crate::policy::interpolation::with_defaults(image)
            .ok_or(format!("services.app.image {image:?} uses a variable without a default"))?;
        let bind = match app["environment"]["GUNICORN_BIND"].as_str() {
            Some(bind) => bind.to_owned(),
            None => default_of(&context.join("gunicorn.conf.py"), "bind = os.environ.get(\"GUNICORN_BIND\", \"")?,
        };
        let port = bind
            .rsplit_once(':')
            .and_then(|(_, port)| port.parse().ok())
            .ok_or(format!("gunicorn bind {bind:?} has no port"))?;
        let config = context.join("stockapp/config.py");
        let default_database = default_of(&config, "self.DATABASE = os.environ.get(\"STOCKAPP_DATABASE\", \"")?;
        Ok(Self { image, port, default_database })
    }
}

/// The quoted default after `prefix` on a line of `file` (`os.environ.get("X", "<default>")`).
fn default_of(file: &Path, prefix: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    text.lines()
        .find_map(|line| line.trim().strip_prefix(prefix)?.split('"').next())
        .map(str::to_owned)
        .ok_or_else(|| format!("{}: no line `{prefix}...\")`", file.display()))
}

/// What the rules see: the objects that loaded, why the others did not, and the compose app.
#[derive(Debug, Clone)]
pub struct Manifests {
    /// The folder holding `kustomization.yaml`.
    pub dir: PathBuf,
    /// Every object of every listed file that loaded.
    pub resources: Vec<Resource>,
    /// Listed files that are missing or do not parse, each with why.
    pub load_problems: Vec<(PathBuf, String)>,
    /// The app as compose runs it.
    pub compose: ComposeApp,
}

impl Manifests {
    /// Loads every file `dir/kustomization.yaml` lists; where `overlay` holds a file of the same
    /// name, that one is read instead (broken cases swap files in this way). A listed file that
    /// is missing or unparsable becomes a load problem for a rule to report; a missing or
    /// malformed kustomization is an error.
    pub fn load(dir: &Path, overlay: Option<&Path>, compose: ComposeApp) -> Result<Self, LoadError> {
        let source =
            |name: &str| overlay.map(|o| o.join(name)).filter(|p| p.exists()).unwrap_or_else(|| dir.join(name));
        let kustomization_path = source(KUSTOMIZATION);
        let kustomization = yaml::load(&kustomization_path)?;
        let listed = kustomization["resources"].as_array().ok_or_else(|| LoadError::Invalid {
            path: kustomization_path.clone(),
            at: None,
            message: "resources is not a list of files".into(),
        })?;
        let mut manifests = Self { dir: dir.to_path_buf(), resources: Vec::new(), load_problems: Vec::new(), compose };
        for entry in listed {
            let Some(name) = entry.as_str() else {
                manifests
                    .load_problems
                    .push((kustomization_path.clone(), format!("resource {entry} is not a file name")));
                continue;
            };
            let path = source(name);
            match resources_in(name, &path) {
                Ok(found) => manifests.resources.extend(found),
                Err(why) => {
                    manifests.load_problems.push((kustomization_path.clone(), format!("resources lists {name}: {why}")))
                }
            }
        }
        Ok(manifests)
    }

    /// Every resource file `kustomization.yaml` lists, as read.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = self.resources.iter().map(|r| r.path.clone()).collect();
        files.dedup();
        files
    }

    /// The resources of `kind`.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Resource> {
        self.resources.iter().filter(move |r| r.kind == kind)
    }

    /// The resource of `kind` named `name`.
    pub fn find(&self, kind: &str, name: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.kind == kind && r.name == name)
    }

    /// The resources that run pods.
    pub fn workloads(&self) -> impl Iterator<Item = &Resource> {
        self.resources.iter().filter(|r| r.kind == "Deployment" || r.kind == "Job")
    }

    /// Where a finding about the manifests as a whole is.
    pub fn location(&self) -> Location {
        Location::file(self.dir.join(KUSTOMIZATION), None)
    }
}

fn resources_in(listed: &str, path: &Path) -> Result<Vec<Resource>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot be read: {e}"))?;
    let documents: Vec<Value> = serde_saphyr::from_multiple(&text).map_err(|e| format!("is not valid YAML: {e}"))?;
    Ok(documents
        .into_iter()
        .filter(|body| !body.is_null())
        .map(|body| {
            let kind = body["kind"].as_str().unwrap_or_default().to_owned();
            let name = body["metadata"]["name"].as_str().unwrap_or_default().to_owned();
            let line = name_line(&text, &kind, &name);
            Resource { file: listed.to_owned(), path: path.to_path_buf(), line, kind, name, body }
        })
        .collect())
}

/// The 1-based line of `name: <name>` after `kind: <kind>` in `text`.
fn name_line(text: &str, kind: &str, name: &str) -> Option<usize> {
    let mut in_kind = false;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed == format!("kind: {kind}") {
            in_kind = true;
        } else if in_kind && trimmed == format!("name: {name}") {
            return Some(index + 1);
        }
    }
    None
}

/// A JSON array's items (none for anything else).
pub fn list(value: &Value) -> &[Value] {
    value.as_array().map(Vec::as_slice).unwrap_or_default()
}

/// Whether a `matchLabels`-style map `selector` selects a pod labelled `labels`: every key it
/// names has its value there. An empty or absent selector selects nothing here (a rule that
/// wants "everything" says so itself).
pub fn selects(selector: &Value, labels: &Value) -> bool {
    selector.as_object().is_some_and(|wanted| !wanted.is_empty() && wanted.iter().all(|(k, v)| labels[k] == *v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_resources_line_is_that_of_its_name_under_its_kind() {
        let text = "kind: Service\nmetadata:\n  name: app\n---\nkind: Deployment\nmetadata:\n  name: app\n";
        assert_eq!(name_line(text, "Deployment", "app"), Some(7));
        assert_eq!(name_line(text, "Job", "app"), None);
    }

    #[test]
    fn a_selector_selects_pods_carrying_all_its_labels_and_an_empty_one_selects_none() {
        let labels = json!({"app": "web", "tier": "front"});
        assert!(selects(&json!({"app": "web"}), &labels));
        assert!(!selects(&json!({"app": "web", "tier": "back"}), &labels));
        assert!(!selects(&json!({}), &labels));
        assert!(!selects(&Value::Null, &labels));
    }
}
