//! Static validation of a compose project: schemas and policy rules that need no running stack.
//!
//! [`Project::load`] reads the compose files, `.env.example`, the harness config and the
//! Dockerfiles of built services, and renders the project with `docker compose config`;
//! [`check`] runs every rule of [`rules::ALL`] over it.

pub mod dockerfile;
pub mod env_file;
mod error;
pub mod harness_config;
pub mod interpolation;
pub mod needs;
pub mod outline;
mod project;
pub mod rules;
pub mod schema;
pub mod yaml;

pub use error::{LoadError, Position};
pub use project::{Build, ComposeSource, EXTENSION, Needs, Project, ProjectOptions, Role};
pub use rules::Rule;

use crate::check::report::Run;

/// Runs every rule over `project`.
pub fn check(project: &Project) -> Run {
    let findings = rules::ALL.iter().flat_map(|rule| (rule.run)(project)).collect();
    Run::new(rules::ALL.iter().map(|rule| &rule.meta).collect(), findings)
}
