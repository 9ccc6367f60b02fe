//! Broken cases, one convention for every kind: a folder per case holding the broken input and
//! `expect.yml`, which names each check the case must fail and words its findings must say:
//!
//! ```yaml
//! # The HPA scales a Deployment that is not in the manifests.
//! fails:
//!   SP202: ["names Deployment/web"]
//! ```
//!
//! A case passes when exactly those checks find something and each says its words: a case that
//! also breaks another check is as wrong as one that breaks nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Finding, Meta};
use crate::policy::{LoadError, yaml};

/// The expectation file's name in a case folder.
pub const FILE: &str = "expect.yml";

/// What a case must fail, and how it breaks the input (beside the files its folder holds).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// Check id -> words some finding of that check must say (may be empty).
    pub fails: BTreeMap<String, Vec<String>>,
    /// Text replacements in the real files, made in a scratch copy.
    #[serde(default)]
    pub edits: Vec<Edit>,
    /// How the case's stack boots, for cases judged on a running stack.
    #[serde(default)]
    pub stack: StackCase,
}

/// How a case that needs a running stack boots it, and what runs on it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackCase {
    /// Variables set for the stack (`APP_REPLICAS: "1"`).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// A compose overlay added on top of the stack's files, as text.
    #[serde(default)]
    pub overlay: Option<String>,
    /// Only these checks run (their ids); default: every check of the kinds the case names.
    #[serde(default)]
    pub scope: Vec<String>,
}

/// One replacement in one file: `from` must be there, or the case no longer applies.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edit {
    /// The file, relative to the tree the case applies to.
    pub file: PathBuf,
    /// The text replaced (every occurrence).
    pub from: String,
    /// What replaces it.
    pub to: String,
}

/// One broken case: its folder and what it must fail.
#[derive(Debug, Clone)]
pub struct Case {
    /// The folder's name, which is the case's name.
    pub name: String,
    /// The folder.
    pub dir: PathBuf,
    /// Its `expect.yml`.
    pub expect: Expectation,
}

/// Every case folder directly below `root`, by name. A folder without `expect.yml`, an
/// unreadable one, or one naming an unknown check is an error: no case is silently left out.
pub fn discover(root: &Path) -> Result<Vec<Case>, LoadError> {
    let entries = std::fs::read_dir(root).map_err(|source| LoadError::read(root, source))?;
    let mut cases = Vec::new();
    for entry in entries {
        let dir = entry.map_err(|source| LoadError::read(root, source))?.path();
        if dir.is_dir() {
            cases.push(load(&dir)?);
        }
    }
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(cases)
}

/// The case in folder `dir`.
pub fn load(dir: &Path) -> Result<Case, LoadError> {
    let file = dir.join(FILE);
    let value = yaml::load(&file)?;
    let expect: Expectation = serde_json::from_value(value).map_err(|error| LoadError::Invalid {
        path: file.clone(),
        at: None,
        message: error.to_string(),
    })?;
    let invalid = |message: String| LoadError::Invalid { path: file.clone(), at: None, message };
    if expect.fails.is_empty() {
        return Err(invalid("fails names no check: a case must break something".into()));
    }
    if let Some(unknown) = expect.fails.keys().find(|id| super::find(id).is_none()) {
        return Err(invalid(format!("fails names {unknown}, which is no registered check")));
    }
    let name = dir.file_name().unwrap_or_default().to_string_lossy().into_owned();
    Ok(Case { name, dir: dir.to_path_buf(), expect })
}

impl Case {
    /// The files the case adds or replaces, relative to its folder (every file but `expect.yml`).
    pub fn files(&self) -> Result<Vec<PathBuf>, LoadError> {
        let mut found = Vec::new();
        collect(&self.dir, Path::new(""), &mut found)?;
        found.retain(|f| f != Path::new(FILE));
        Ok(found)
    }

    /// Lays the case's files over `tree` (a scratch copy) and applies its edits there. An edit
    /// whose text is gone is an error: a case that silently changes nothing would pass as caught.
    pub fn apply(&self, tree: &Path) -> Result<(), LoadError> {
        for file in self.files()? {
            let target = tree.join(&file);
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir).map_err(|source| LoadError::read(dir, source))?;
            }
            std::fs::copy(self.dir.join(&file), &target).map_err(|source| LoadError::read(&target, source))?;
        }
        for edit in &self.expect.edits {
            let path = tree.join(&edit.file);
            let text = std::fs::read_to_string(&path).map_err(|source| LoadError::read(&path, source))?;
            if !text.contains(&edit.from) {
                let message =
                    format!("edit of {} no longer applies: {:?} is not in it", edit.file.display(), edit.from);
                return Err(LoadError::Invalid { path: self.dir.join(FILE), at: None, message });
            }
            std::fs::write(&path, text.replace(&edit.from, &edit.to))
                .map_err(|source| LoadError::read(&path, source))?;
        }
        Ok(())
    }
}

fn collect(root: &Path, relative: &Path, found: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let dir = root.join(relative);
    for entry in std::fs::read_dir(&dir).map_err(|source| LoadError::read(&dir, source))? {
        let entry = entry.map_err(|source| LoadError::read(&dir, source))?;
        let path = relative.join(entry.file_name());
        if entry.path().is_dir() {
            collect(root, &path, found)?;
        } else {
            found.push(path);
        }
    }
    found.sort();
    Ok(())
}

/// Copies the folders and files `paths` of `from` into `to` (a scratch tree for cases to
/// change), keeping file modes, so that scripts stay executable and files readable by the
/// containers' users.
pub fn copy_tree(from: &Path, paths: &[&str], to: &Path) -> Result<(), LoadError> {
    for path in paths {
        let (source, target) = (from.join(path), to.join(path));
        if source.is_dir() {
            copy_dir(&source, &target)?;
        } else {
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir).map_err(|error| LoadError::read(dir, error))?;
            }
            std::fs::copy(&source, &target).map_err(|error| LoadError::read(&source, error))?;
        }
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), LoadError> {
    std::fs::create_dir_all(to).map_err(|source| LoadError::read(to, source))?;
    let permissions = std::fs::metadata(from).map_err(|source| LoadError::read(from, source))?.permissions();
    std::fs::set_permissions(to, permissions).map_err(|source| LoadError::read(to, source))?;
    for entry in std::fs::read_dir(from).map_err(|source| LoadError::read(from, source))? {
        let entry = entry.map_err(|source| LoadError::read(from, source))?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        if source.is_dir() {
            copy_dir(&source, &target)?;
        } else {
            std::fs::copy(&source, &target).map_err(|error| LoadError::read(&source, error))?;
        }
    }
    Ok(())
}

impl Expectation {
    /// Why `findings` (of the checks in `ran`) do not meet the expectation, one line each;
    /// empty when they do. A check it names that did not run is a mistake too.
    pub fn problems(&self, ran: &[&'static Meta], findings: &[Finding]) -> Vec<String> {
        let failed: BTreeSet<&str> = findings.iter().map(|f| f.check.id).collect();
        let mut problems = Vec::new();
        for (id, words) in &self.fails {
            if !ran.iter().any(|check| check.id == id) {
                problems.push(format!("{id} did not run on this case"));
                continue;
            }
            let said: Vec<String> = findings.iter().filter(|f| f.check.id == id).map(ToString::to_string).collect();
            if said.is_empty() {
                problems.push(format!("{id} found nothing: the case did not make it fail"));
            }
            for word in words.iter().filter(|word| !said.iter().any(|line| line.contains(word.as_str()))) {
                problems.push(format!("{id} did not say {word:?}; it said: {said:#?}"));
            }
        }
        for id in failed.iter().filter(|id| !self.fails.contains_key(**id)) {
            let said: Vec<String> = findings.iter().filter(|f| f.check.id == *id).map(ToString::to_string).collect();
            problems.push(format!("{id} failed too, although the case does not target it: {said:#?}"));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Kind, Location, Severity};

    static A: Meta =
        Meta { id: "SP991", name: "a", kind: Kind::Compose, severity: Severity::Error, summary: "a", fix: "a" };
    static B: Meta =
        Meta { id: "SP992", name: "b", kind: Kind::Compose, severity: Severity::Error, summary: "b", fix: "b" };

    fn expecting(id: &str, words: &[&str]) -> Expectation {
        Expectation {
            fails: BTreeMap::from([(id.to_owned(), words.iter().map(|w| (*w).to_owned()).collect())]),
            edits: Vec::new(),
            stack: StackCase::default(),
        }
    }

    #[test]
    fn exactly_the_named_check_with_its_words_passes() {
        let findings = [Finding::new(&A, Location::default(), "port 80 is published")];
        assert!(expecting("SP991", &["port 80"]).problems(&[&A, &B], &findings).is_empty());
    }

    #[test]
    fn silence_other_failures_wrong_words_and_unrun_checks_are_problems() {
        let findings = [Finding::new(&B, Location::default(), "something else")];
        let problems = expecting("SP991", &["port 80"]).problems(&[&A, &B], &findings).join("\n");
        assert!(problems.contains("SP991 found nothing") && problems.contains("SP992 failed too"), "{problems}");
        assert!(problems.contains("did not say \"port 80\""), "{problems}");
        let unrun = expecting("SP991", &[]).problems(&[&B], &[]).join("\n");
        assert!(unrun.contains("did not run"), "{unrun}");
    }
}
