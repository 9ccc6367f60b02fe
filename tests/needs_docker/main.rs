//! Tests that need a Docker engine: the production stack and its checks, the mutants that show
//! each check failing, the drills, the dev workflow, the harness's own stack handling. Suites
//! boot side by side; every check is its own test (`cargo test --test needs_docker <name>`
//! boots only the suites it needs).

#[path = "../common/mod.rs"]
mod common;
mod acme;
mod backup;
mod checks;
mod monitoring_config;
mod mutants;
mod prod;
mod unhardened;

use stackproof::suite::{self, AnySuite};

fn main() {
    let mut suites: Vec<Box<dyn AnySuite>> = vec![Box::new(prod::suite())];
    suites.extend(mutants::suites());
    suites.push(Box::new(unhardened::suite()));
    suites.push(Box::new(acme::suite()));
    suites.push(Box::new(backup::suite()));
    suites.push(Box::new(monitoring_config::suite()));
    suite::main(suites)
}
