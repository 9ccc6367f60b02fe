//! The Kubernetes rules, one file each (`SP2xx`, never reused), and the registry that lists
//! them. A new rule is one file here, one line in [`ALL`], and one case under `fixtures/k8s/`
//! (files swapped into `deploy/k8s/`, and an `expect.yml` naming the rule) that breaks it.

mod app_matches_compose;
mod autoscaler_can_measure;
mod ingress_https_only;
mod manifests_load;
mod network_policy_limits;
mod pods_hardened;
mod references_resolve;
mod selectors_select;
mod services_internal;
mod sqlite_one_node;

use std::fmt::Display;

use super::{Manifests, Resource};
use crate::check::report::Run;
use crate::check::{Check, Finding};

/// A Kubernetes rule: it looks at the loaded manifests and returns every breach.
pub type Rule = Check<fn(&Manifests) -> Vec<Finding>>;

/// Every rule, in id order.
pub static ALL: [&Rule; 10] = [
    &manifests_load::RULE,
    &autoscaler_can_measure::RULE,
    &pods_hardened::RULE,
    &app_matches_compose::RULE,
    &references_resolve::RULE,
    &sqlite_one_node::RULE,
    &selectors_select::RULE,
    &ingress_https_only::RULE,
    &network_policy_limits::RULE,
    &services_internal::RULE,
];

/// Runs every rule over `manifests`.
pub fn check(manifests: &Manifests) -> Run {
    let findings = ALL.iter().flat_map(|rule| (rule.run)(manifests)).collect();
    Run::new(ALL.iter().map(|rule| &rule.meta).collect(), findings)
}

/// A finding of `rule` about `field` of `resource`: `field what`.
fn problem(rule: &'static Rule, resource: &Resource, field: &str, what: impl Display) -> Finding {
    rule.finding(resource.location(), format!("{field} {what}"))
}
