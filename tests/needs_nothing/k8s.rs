//! The Kubernetes manifests in `deploy/k8s/` (the scale-out path, see its README), judged without
//! a cluster by the SP2xx rules: the real manifests break none; each case folder of
//! `fixtures/k8s/` is `deploy/k8s/` with the files it holds swapped in, and breaks exactly what
//! its `expect.yml` names. kubernetes-validate (Kubernetes' own schemas) is an outside opinion.

use std::path::PathBuf;

use anyhow::{Context, Result, ensure};
use stackproof::check::case::{self, Case};
use stackproof::k8s::{self, ComposeApp, Manifests};
use stackproof::repo;
use stackproof::suite::{Requirement, Suite, Trial};

use crate::common::{case_problems, test};

const MANIFESTS: &str = "deploy/k8s";
const FIXTURES: &str = "fixtures/k8s";

/// compose.prod.yml's app, read from the raw file (no render needed).
fn compose_app() -> Result<ComposeApp> {
    let compose = stackproof::policy::yaml::load(&repo::path("compose.prod.yml"))?;
    ComposeApp::of_service(&compose["services"]["app"], &repo::path("app")).map_err(anyhow::Error::msg)
}

fn load(overlay: Option<&std::path::Path>) -> Result<Manifests> {
    Ok(Manifests::load(&repo::path(MANIFESTS), overlay, compose_app()?)?)
}

fn cases() -> Result<Vec<Case>> {
    Ok(case::discover(&repo::path(FIXTURES))?)
}

/// One trial per rule (the real manifests pass it, and some case fails it), one per case, and
/// the folder and kind checks.
pub fn suite() -> Suite<()> {
    let mut suite = Suite::plain("k8s");
    for rule in k8s::rules::ALL {
        suite = suite.with(Trial::new(
            rule.label().replace(' ', "-"),
            Box::new(move |_: &()| Box::pin(async move { rule_holds(rule).map_err(|e| format!("{e:#}")) })),
        ));
    }
    for case in cases().unwrap_or_default() {
        suite = suite.with(Trial::new(
            format!("case::{}", case.name),
            Box::new(move |_: &()| {
                let case = case.clone();
                Box::pin(async move { case_fails(&case).map_err(|e| format!("{e:#}")) })
            }),
        ));
    }
    suite
        .with(test("every-case-folder-swaps-in-real-files", every_case_swaps_in_real_files))
        .with(test("the-manifests-hold-every-known-kind", every_known_kind_is_used))
}

fn rule_holds(rule: &'static k8s::rules::Rule) -> Result<()> {
    let manifests = load(None)?;
    let found = (rule.run)(&manifests);
    ensure!(
        found.is_empty(),
        "{MANIFESTS} breaks {}:\n{}",
        rule.label(),
        found.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    );
    let shown = cases()?.iter().any(|c| c.expect.fails.contains_key(rule.id));
    ensure!(shown, "no case in {FIXTURES} makes {} fail: a rule never shown failing proves nothing", rule.label());
    Ok(())
}

fn case_fails(case: &Case) -> Result<()> {
    let manifests = load(Some(&case.dir))?;
    case_problems(case, &k8s::rules::check(&manifests))
}

/// A case file without a namesake in deploy/k8s would be silently ignored.
fn every_case_swaps_in_real_files() -> Result<()> {
    let cases = cases()?;
    ensure!(!cases.is_empty(), "no case in {FIXTURES}");
    for case in cases {
        for file in case.files()? {
            ensure!(
                repo::path(MANIFESTS).join(&file).is_file(),
                "{FIXTURES}/{}/{} replaces no file of {MANIFESTS}",
                case.name,
                file.display()
            );
        }
    }
    Ok(())
}

/// The real manifests use every kind the rules know (but Secret, made by hand): a rule about a
/// kind that is not there passes by default.
fn every_known_kind_is_used() -> Result<()> {
    let manifests = load(None)?;
    for kind in [
        "Namespace",
        "PersistentVolumeClaim",
        "Service",
        "Deployment",
        "Job",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Ingress",
        "NetworkPolicy",
    ] {
        ensure!(manifests.of_kind(kind).next().is_some(), "{MANIFESTS} holds no {kind}");
    }
    Ok(())
}

/// An outside opinion: kubernetes-validate (PyPI; Kubernetes' own schemas, bundled, offline;
/// installed by `ci/prepare.sh`) accepts every resource file, strictly (no unknown fields).
pub fn validate_suite() -> Suite<()> {
    let version = std::process::Command::new("python3").args(["-m", "kubernetes_validate", "--version"]).output();
    let missing = match version {
        Ok(output) if output.status.success() => None,
        Ok(output) => Some(format!(
            "python3 -m kubernetes_validate fails (run ci/prepare.sh): {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )),
        Err(error) => Some(format!("python3 cannot run: {error}")),
    };
    Suite::plain("k8s-validate")
        .requires(Requirement::Tool("kubernetes-validate".into(), missing))
        .with(test("kubernetes-validate-accepts-every-resource-file", kubernetes_validate))
}

fn kubernetes_validate() -> Result<()> {
    let files: Vec<PathBuf> = load(None)?.files();
    let output = std::process::Command::new("python3")
        .args(["-m", "kubernetes_validate", "--strict", "--quiet"])
        .args(&files)
        .output()
        .context("cannot run python3 -m kubernetes_validate")?;
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    ensure!(output.status.success(), "kubernetes-validate rejects {MANIFESTS}:\n{said}");
    Ok(())
}
