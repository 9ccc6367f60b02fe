//! Tests that need nothing but this checkout: the Kubernetes rules and their cases, the
//! catalog's coverage, loader fuzzing, load profiles, CI workflows, schemas. Every check and
//! case is its own test (`cargo test --test needs_nothing <name>`).

mod catalog;
mod ci;
#[path = "../common/mod.rs"]
mod common;
mod fuzz;
mod hardening;
mod k8s;
mod profiles;
mod schemas;

use stackproof::suite::{self, AnySuite};

fn main() {
    let suites: Vec<Box<dyn AnySuite>> = vec![
        Box::new(k8s::suite()),
        Box::new(k8s::validate_suite()),
        Box::new(catalog::suite()),
        Box::new(hardening::suite()),
        Box::new(fuzz::suite()),
        Box::new(profiles::suite()),
        Box::new(ci::suite()),
        Box::new(schemas::suite()),
    ];
    suite::main(suites)
}
