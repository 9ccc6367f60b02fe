//! The policy rules, one file each, and the registry that lists them.
//!
//! A rule has a stable id (`SP1xx`, never reused), a short name and a check that returns its
//! findings. A new rule is one file here, one line in [`ALL`] and one fixture project under
//! `fixtures/policy/projects/` that breaks it.

mod base_image_arg;
mod dockerfile_user_healthcheck;
mod no_docker_socket;
mod published_ports;
mod referenced_files_exist;
mod secrets_from_files;
mod service_schema;
mod variables_documented;

use std::fmt;

use super::finding::{Finding, Location};
use super::project::Project;

/// A policy rule.
pub struct Rule {
    /// Stable id, e.g. `SP101`.
    pub id: &'static str,
    /// Short kebab-case name, e.g. `secrets-from-files`.
    pub name: &'static str,
    /// One sentence: what a compliant project does.
    pub summary: &'static str,
    /// Finds every breach of the rule in a project.
    pub check: fn(&Project) -> Vec<Finding>,
}

impl Rule {
    /// A finding of this rule.
    pub fn finding(&'static self, at: Location, service: Option<&str>, message: impl Into<String>) -> Finding {
        Finding { rule: self, at, service: service.map(str::to_owned), message: message.into() }
    }
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id, self.name)
    }
}

/// Every rule, in id order.
pub static ALL: [&Rule; 8] = [
    &service_schema::RULE,
    &secrets_from_files::RULE,
    &variables_documented::RULE,
    &referenced_files_exist::RULE,
    &base_image_arg::RULE,
    &dockerfile_user_healthcheck::RULE,
    &no_docker_socket::RULE,
    &published_ports::RULE,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_are_unique_and_in_order() {
        let ids: Vec<_> = ALL.iter().map(|r| r.id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(ids, sorted);
        let mut names: Vec<_> = ALL.iter().map(|r| r.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }
}
