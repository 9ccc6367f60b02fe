//! Static validation of a compose project: schemas and policy rules that need no running stack.
//!
//! [`Project::load`] reads the compose files, `.env.example`, the harness config and the
//! Dockerfiles of built services, and renders the project with `docker compose config`;
//! [`check`] runs every rule of [`rules::ALL`] over it; [`report`] writes the findings for
//! people (one line each), code scanning (SARIF) and CI (JUnit).

pub mod dockerfile;
pub mod env_file;
mod error;
mod finding;
pub mod harness_config;
pub mod outline;
mod project;
pub mod report;
pub mod rules;
pub mod schema;
pub mod yaml;

pub use error::{LoadError, Position};
pub use finding::{Finding, Location};
pub use project::{Build, ComposeSource, EXTENSION, Project, ProjectOptions, Role};
pub use rules::Rule;

/// Runs every rule over `project`; findings come by rule, then file, then line.
pub fn check(project: &Project) -> Vec<Finding> {
    let mut findings: Vec<Finding> = rules::ALL.iter().flat_map(|rule| (rule.check)(project)).collect();
    findings.sort_by(|a, b| (a.rule.id, &a.at.file, a.at.line).cmp(&(b.rule.id, &b.at.file, b.at.line)));
    findings
}
