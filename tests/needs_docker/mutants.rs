//! The mutation catalog's stack entries (`fixtures/mutants/<area>/<entry>/expect.yml`): each is
//! one realistic misconfiguration of a copy of this repository (edits, files, variables, an
//! overlay) and names the checks that must fail on it. Entries that break disjoint checks share
//! one stack: the copy gets all of their changes, its images are built from it (tagged for the
//! group, so nothing else's images change), and every check in scope runs once. Each entry's
//! trial then requires its checks to fail, saying its words, and no check that no entry of the
//! group names to fail. `stackproof verify` run against the same stack must agree.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, ensure};
use stackproof::browser;
use stackproof::check::case::{self, Case};
use stackproof::check::{self as checkmod, Finding, Kind, Location, Meta};
use stackproof::drill::{self, DrillTarget};
use stackproof::edge::{self, Target};
use stackproof::monitoring::live::{self, Monitoring, Overlay};
use stackproof::policy::{Project, ProjectOptions};
use stackproof::prod::BootedSite;
use stackproof::repo;
use stackproof::suite::{AnySuite, Requirement, Suite, Trial};
use tokio::sync::OnceCell;

use crate::checks::{self, Booted, MIN_DAYS_LEFT};

/// What a mutant stack needs of the repository, copied before the entries change it.
const TREE: [&str; 7] =
    ["compose.prod.yml", ".env.example", "deploy", "app", "fixtures/monitoring", "fixtures/overlays", "docs"];

/// The stack areas of the catalog.
const AREAS: [&str; 4] = ["edge", "monitoring", "proxy", "release"];

/// One group's booted stack and the checks' findings on it, computed once.
pub struct Mutant {
    booted: BootedSite,
    project: Project,
    scope: Vec<&'static Meta>,
    cases: Vec<Case>,
    findings: OnceCell<Vec<Finding>>,
    _overlay: Option<Overlay>,
    /// The release command's record, for the drills.
    state: tempfile::TempDir,
    tag: String,
    tree: tempfile::TempDir,
}

impl checks::Inspected for Mutant {
    fn stack(&self) -> &stackproof::stack::Stack {
        &self.booted.stack
    }

    fn project(&self) -> &Project {
        &self.project
    }
}

impl Booted for Mutant {
    fn booted(&self) -> &BootedSite {
        &self.booted
    }

    fn root(&self) -> &Path {
        self.tree.path()
    }
}

/// Every stack entry of the catalog.
fn entries() -> Result<Vec<Case>> {
    let mut all = Vec::new();
    for area in AREAS {
        all.extend(case::discover(&repo::path(&format!("fixtures/mutants/{area}")))?);
    }
    Ok(all)
}

/// Groups of entries that can share a stack: the same area (stacks of different areas then
/// run side by side), disjoint checks, edits that all still apply one after the other, no
/// conflicting variable, at most one overlay. An entry with a scope of its
/// own (a drill, which sees every change of its stack) has a stack to itself.
fn groups(entries: Vec<Case>) -> Vec<Vec<Case>> {
    let mut groups: Vec<Vec<Case>> = Vec::new();
    for entry in entries {
        let alone = !entry.expect.stack.scope.is_empty();
        let fits = |group: &Vec<Case>| {
            !alone
                && edits_compose(group, &entry)
                && group.iter().all(|other| {
                    other.expect.stack.scope.is_empty()
                        && other.dir.parent() == entry.dir.parent()
                        && other.expect.fails.keys().all(|id| !entry.expect.fails.contains_key(id))
                        && other.expect.stack.env.keys().all(|k| !entry.expect.stack.env.contains_key(k))
                        && (other.expect.stack.overlay.is_none() || entry.expect.stack.overlay.is_none())
                        && other
                            .files()
                            .ok()
                            .zip(entry.files().ok())
                            .is_some_and(|(a, b)| a.iter().all(|f| !b.contains(f)))
                })
        };
        match groups.iter_mut().find(|g| fits(g)) {
            Some(group) => group.push(entry),
            None => groups.push(vec![entry]),
        }
    }
    groups
}

/// Whether `entry`'s edits and the group's all apply, in order, to the repository's files.
fn edits_compose(group: &[Case], entry: &Case) -> bool {
    let mut texts: BTreeMap<PathBuf, String> = BTreeMap::new();
    for edit in group.iter().chain(std::iter::once(entry)).flat_map(|c| &c.expect.edits) {
        let text = texts
            .entry(edit.file.clone())
            .or_insert_with(|| std::fs::read_to_string(repo::path(&edit.file.to_string_lossy())).unwrap_or_default());
        if !text.contains(&edit.from) {
            return false;
        }
        *text = text.replace(&edit.from, &edit.to);
    }
    true
}

/// The checks that run on a group: each entry's scope, else every check of the kinds named,
/// among those a running stack answers (edge, hardening, live monitoring; the browser's edge
/// checks where Chromium is installed).
fn scope_of(cases: &[Case]) -> Vec<&'static Meta> {
    let explicit: BTreeSet<&str> = cases.iter().flat_map(|c| c.expect.stack.scope.iter().map(String::as_str)).collect();
    let kinds: BTreeSet<Kind> =
        cases.iter().flat_map(|c| c.expect.fails.keys()).filter_map(|id| checkmod::find(id)).map(|m| m.kind).collect();
    let on_a_stack = edge::ALL
        .iter()
        .map(|c| &c.meta)
        .chain(stackproof::hardening::rules::ALL.iter().map(|r| &r.meta))
        .chain(live::ALL.iter().map(|c| &c.meta))
        .chain(drill::ALL.iter().map(|d| &d.meta))
        .chain(browser::ALL.iter().filter(|_| browser::available()).map(|c| &c.meta));
    let mut scope: Vec<&'static Meta> = on_a_stack
        .filter(|m| if explicit.is_empty() { kinds.contains(&m.kind) } else { explicit.contains(m.id) })
        .collect();
    scope.sort_by_key(|m| m.id);
    scope
}

/// Whether a live monitoring check is in `scope`: the stack then runs the monitoring overlay.
fn monitored(scope: &[&'static Meta]) -> bool {
    scope.iter().any(|m| live::ALL.iter().any(|c| std::ptr::eq(*m, &c.meta)))
}

/// Whether a hardening rule is in `scope`: every service must then run.
fn hardened(scope: &[&'static Meta]) -> bool {
    scope.iter().any(|m| m.kind == Kind::Hardening)
}

/// One suite per group.
pub fn suites() -> Vec<Box<dyn AnySuite>> {
    let entries = match entries() {
        Ok(entries) => entries,
        Err(error) => {
            let broken = Suite::plain("mutants").with(Trial::new(
                "catalog-loads",
                Box::new(move |_: &()| {
                    let error = format!("{error:#}");
                    Box::pin(async move { Err(error) })
                }),
            ));
            return vec![Box::new(broken)];
        }
    };
    groups(entries)
        .into_iter()
        .enumerate()
        .map(|(n, group)| Box::new(suite(n + 1, group)) as Box<dyn AnySuite>)
        .collect()
}

fn suite(number: usize, cases: Vec<Case>) -> Suite<Mutant> {
    let name = format!("mutants-{number}");
    let tag = format!("mutant-{number}");
    let boot_cases = cases.clone();
    let mut suite = Suite::new(
        &name,
        move || Box::pin(async move { boot(&tag, boot_cases).await.map_err(|e| format!("{e:#}")) }),
        |m: Mutant| Box::pin(async move { m.booted.down().await.map_err(|e| e.to_string()) }),
    )
    .requires(Requirement::Docker)
    .weighing(if monitored(&scope_of(&cases)) || hardened(&scope_of(&cases)) { 2 } else { 1 });
    if cases.iter().flat_map(|c| c.expect.fails.keys()).any(|id| browser::ALL.iter().any(|c| c.id == id)) {
        suite = suite.requires(browser::requirement());
    }
    for case in &cases {
        let name = case.name.clone();
        suite = suite.with(Trial::new(
            case.name.clone(),
            Box::new(move |m: &Mutant| {
                let name = name.clone();
                Box::pin(async move { judge(m, &name).await.map_err(|e| format!("{e:#}")) })
            }),
        ));
    }
    let edge_named = cases.iter().flat_map(|c| c.expect.fails.keys()).any(|id| edge::ALL.iter().any(|c| c.id == id));
    if edge_named {
        suite = suite.with(crate::trial!("verify-agrees-on-the-read-only-checks", Mutant, verify_agrees));
    }
    suite
}

/// Copies the tree, applies every entry, and boots the group's stack from the copy.
async fn boot(tag: &str, cases: Vec<Case>) -> Result<Mutant> {
    let tree = tempfile::tempdir()?;
    make_readable(tree.path())?;
    case::copy_tree(repo::root(), &TREE, tree.path())?;
    let mut env: BTreeMap<String, String> = BTreeMap::from([("IMAGE_TAG".to_owned(), tag.to_owned())]);
    let mut overlays = Vec::new();
    for case in &cases {
        case.apply(tree.path())?;
        let placed = |value: &str| value.replace("{tree}", &tree.path().to_string_lossy());
        env.extend(case.expect.stack.env.iter().map(|(k, v)| (k.clone(), placed(v))));
        if let Some(text) = &case.expect.stack.overlay {
            let file = tree.path().join(format!("overlay-{}.yml", case.name));
            std::fs::write(&file, placed(text))?;
            overlays.push(file);
        }
    }
    let scope = scope_of(&cases);
    let monitored = monitored(&scope);
    if !monitored && !hardened(&scope) {
        overlays.push(tree.path().join("fixtures/overlays/without-monitoring.yml"));
    }
    let monitoring = if monitored { Some(Overlay::write(tree.path())?) } else { None };
    let compose = tree.path().join("compose.prod.yml");
    let label = tag.to_owned();
    let booted = BootedSite::boot_from(&compose, &label, |mut spec, ca| {
        if let Some(monitoring) = &monitoring {
            spec = monitoring.apply(spec, &ca.ca_pem());
        }
        for overlay in &overlays {
            spec = spec.with_file(overlay);
        }
        for (key, value) in &env {
            spec = spec.with_env(key, value.clone());
        }
        spec
    })
    .await?;
    let mut files: Vec<PathBuf> = vec![compose];
    if monitored {
        // What the monitoring overlay requires; any path will do for rendering.
        files.push(tree.path().join("fixtures/monitoring/compose.yml"));
        let ca = booted.ca.ca_pem().to_string_lossy().into_owned();
        env.extend([("MONITORING_CA_PEM".to_owned(), ca.clone()), ("MONITORING_PROMETHEUS_YML".to_owned(), ca)]);
    }
    files.extend(overlays);
    let env_file = tree.path().join("env.project");
    std::fs::write(
        &env_file,
        checks::env_text(&std::fs::read_to_string(tree.path().join(".env.example"))?, env.iter()),
    )?;
    let project = Project::load(&ProjectOptions {
        dir: tree.path().to_path_buf(),
        compose: files,
        env_file: Some(env_file),
        config: None,
    })
    .await?;
    let state = drill::new_state()?;
    Ok(Mutant {
        booted,
        project,
        scope,
        cases,
        findings: OnceCell::new(),
        _overlay: monitoring,
        state,
        tag: tag.to_owned(),
        tree,
    })
}

fn make_readable(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?)
}

/// Every check of the scope on the group's stack, once, in the prod suite's order: the browser,
/// what reads (edge, monitoring, hardening), then the monitoring alert while no replica has been stopped
/// yet, then the edge checks that stop or kill replicas.
async fn findings(m: &Mutant) -> &[Finding] {
    m.findings
        .get_or_init(|| async {
            let in_scope = |meta: &Meta| m.scope.iter().any(|s| std::ptr::eq(*s, meta));
            let target = Target { site: &m.booted.site, stack: Some(&m.booted.stack), min_days_left: MIN_DAYS_LEFT };
            let (edge_disrupting, edge_reading): (Vec<_>, Vec<_>) = edge::in_run_order(|_| true)
                .into_iter()
                .filter(|c| in_scope(&c.meta))
                .partition(|c| c.run.needs == edge::Needs::Disrupt);
            let (live_disrupting, live_reading): (Vec<_>, Vec<_>) =
                live::ALL.iter().filter(|c| in_scope(&c.meta)).partition(|c| c.run.disrupts);
            let monitoring = Monitoring { stack: &m.booted.stack, site: &m.booted.site, root: m.tree.path() };
            let mut found = Vec::new();
            // The browser first: its user registers and logs in before any check spends the
            // client's log-in budget.
            for check in browser::ALL.iter().filter(|c| in_scope(&c.meta)) {
                found.extend(edge::run(check, &target).await);
            }
            for check in edge_reading {
                found.extend(edge::run(check, &target).await);
            }
            for check in live_reading {
                found.extend(live::run(check, &monitoring).await);
            }
            let rules: Vec<_> = stackproof::hardening::rules::ALL.iter().filter(|r| in_scope(&r.meta)).collect();
            if !rules.is_empty() {
                match checks::containers(&m.booted.stack, &m.project).await {
                    Ok(containers) => found.extend(stackproof::hardening::check(&containers).findings),
                    Err(error) => found.extend(
                        rules
                            .iter()
                            .map(|rule| rule.finding(Location::default(), format!("could not be observed: {error}"))),
                    ),
                }
            }
            for check in live_disrupting {
                found.extend(live::run(check, &monitoring).await);
            }
            for check in edge_disrupting {
                found.extend(edge::run(check, &target).await);
            }
            let ca = m.booted.ca.ca_pem();
            let drills = DrillTarget {
                stack: &m.booted.stack,
                site: &m.booted.site,
                ca_pem: &ca,
                root: m.tree.path(),
                state: m.state.path(),
                label: &m.tag,
            };
            for check in drill::ALL.iter().filter(|d| in_scope(&d.meta)) {
                found.extend(drill::run(check, &drills).await);
            }
            found
        })
        .await
}

/// Entry `name`'s checks failed with its words, and nothing failed that no entry names.
async fn judge(m: &Mutant, name: &str) -> Result<()> {
    let case = m.cases.iter().find(|c| c.name == name).context("no such entry")?;
    let found = findings(m).await;
    let others: BTreeSet<&String> =
        m.cases.iter().filter(|c| c.name != name).flat_map(|c| c.expect.fails.keys()).collect();
    let relevant: Vec<Finding> =
        found.iter().filter(|f| !others.iter().any(|id| id.as_str() == f.check.id)).cloned().collect();
    let problems = case.expect.problems(&m.scope, &relevant);
    ensure!(problems.is_empty(), "entry {name} ({}):\n{}", case.dir.display(), problems.join("\n"));
    for finding in relevant.iter().filter(|f| case.expect.fails.contains_key(f.check.id)) {
        println!("  {finding}");
    }
    Ok(())
}

/// `stackproof verify`, run from the outside against the group's stack, fails exactly the
/// read-only checks that failed in the harness.
async fn verify_agrees(m: &Mutant) -> Result<()> {
    let found = findings(m).await;
    // The disruptive checks ran before: let what they stopped come back first.
    checks::wait_until_healthy(&m.booted.stack).await.map_err(anyhow::Error::msg)?;
    let reads: BTreeSet<&str> = edge::in_run_order(|n| n == edge::Needs::Read)
        .iter()
        .filter(|c| m.scope.iter().any(|s| std::ptr::eq(*s, &c.meta)))
        .map(|c| c.id)
        .collect();
    let failed_here: BTreeSet<&str> = found.iter().map(|f| f.check.id).filter(|id| reads.contains(id)).collect();
    let site = &m.booted.site;
    let output = Command::new(env!("CARGO_BIN_EXE_stackproof"))
        .args(["verify", "--base-url", &format!("https://127.0.0.1:{}", site.https_addr().port())])
        .args([
            "--http-url",
            &format!("http://127.0.0.1:{}", site.http_addr().port()),
            "--server-name",
            site.server_name(),
        ])
        .arg("--ca")
        .arg(m.booted.ca.ca_pem())
        .output()?;
    let said = String::from_utf8_lossy(&output.stdout).into_owned();
    let failed_there: BTreeSet<&str> =
        reads.iter().copied().filter(|id| said.lines().any(|l| l.contains(&format!("[{id} ")))).collect();
    ensure!(
        output.status.code() == Some(1) || failed_here.is_empty(),
        "verify exited {:?}, want 1:\n{said}",
        output.status.code()
    );
    ensure!(
        failed_here == failed_there,
        "in the harness {failed_here:?} failed, but verify reports {failed_there:?}:\n{said}"
    );
    Ok(())
}
