//! The runtime hardening rules (`SP3xx`, never reused), one file each, over what the engine
//! really gave each container. A new rule is one file here, one line in [`ALL`], and a count on
//! which `fixtures/stacks/unhardened` breaks it (its `expect.yml` names the rule).

mod capabilities;
mod devices_sysctls;
mod healthcheck;
mod host_namespaces;
mod limits;
mod logs_rotated;
mod needs;
mod no_new_privileges;
mod non_root;
mod not_privileged;
mod ports;
mod read_only;
mod restart_policy;
mod runtime_socket;
mod security_profiles;

use std::fmt::Display;

use super::Container;
use crate::check::{Check, Finding, Location};

/// A hardening rule: it looks at one running container and returns every breach.
pub type Rule = Check<fn(&Container) -> Vec<Finding>>;

/// Every rule, in id order.
pub static ALL: [&Rule; 15] = [
    &non_root::RULE,
    &read_only::RULE,
    &not_privileged::RULE,
    &capabilities::RULE,
    &no_new_privileges::RULE,
    &security_profiles::RULE,
    &host_namespaces::RULE,
    &devices_sysctls::RULE,
    &limits::RULE,
    &logs_rotated::RULE,
    &restart_policy::RULE,
    &healthcheck::RULE,
    &runtime_socket::RULE,
    &ports::RULE,
    &needs::RULE,
];

/// A finding of `rule` about `container`, or none.
fn flag(rule: &'static Rule, container: &Container, broken: bool, what: impl Display) -> Vec<Finding> {
    if broken { vec![finding(rule, container, what)] } else { Vec::new() }
}

fn finding(rule: &'static Rule, container: &Container, what: impl Display) -> Finding {
    let facts = &container.facts;
    let at = Location::container(facts.short_name());
    let at = match facts.service() {
        Some(service) => at.with_service(service),
        None => at,
    };
    rule.finding(at, what.to_string())
}
