//! Tests that need the compose CLI (to render projects) but no engine: the compose rules and
//! their cases, this repository's project, the reviewed renders, the CLI. Every check and case
//! is its own test (`cargo test --test needs_compose <name>`).

mod cli;
#[path = "../common/mod.rs"]
mod common;
mod policy;
mod render;
mod repo;

use stackproof::suite::{self, AnySuite};

fn main() {
    let suites: Vec<Box<dyn AnySuite>> =
        vec![Box::new(policy::suite()), Box::new(repo::suite()), Box::new(render::suite()), Box::new(cli::suite())];
    suite::main(suites)
}
