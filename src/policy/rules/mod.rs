//! The policy rules, one file each, and the registry that lists them.
//!
//! A rule is a [`Check`] of kind compose (`SP1xx`, never reused) over a loaded [`Project`]. A new
//! rule is one file here, one line in [`ALL`] and one case under `fixtures/policy/projects/`
//! (its `expect.yml` names the rule) that breaks it.

mod base_image_arg;
mod dockerfile_user_healthcheck;
mod least_privilege;
mod no_docker_socket;
mod published_ports;
mod referenced_files_exist;
mod secrets_from_files;
mod service_schema;
mod variables_documented;

use crate::check::{Check, Finding};
use crate::policy::project::Project;

/// A compose rule: it looks at a loaded project and returns every breach.
pub type Rule = Check<fn(&Project) -> Vec<Finding>>;

/// Every rule, in id order.
pub static ALL: [&Rule; 9] = [
    &service_schema::RULE,
    &secrets_from_files::RULE,
    &variables_documented::RULE,
    &referenced_files_exist::RULE,
    &base_image_arg::RULE,
    &dockerfile_user_healthcheck::RULE,
    &no_docker_socket::RULE,
    &published_ports::RULE,
    &least_privilege::RULE,
];
