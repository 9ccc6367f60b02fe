//! Tests that need a Docker engine: the production stack and its checks, the mutants that show
//! each check failing, the drills, the dev workflow, the harness's own stack handling; and the
//! browser checks' controls (Chromium, no stack). Suites boot side by side; every check is its
//! own test (`cargo test --test needs_docker <name>` boots only the suites it needs).

mod acme;
mod backup;
mod browser;
mod checks;
#[path = "../common/mod.rs"]
mod common;
mod dev;
mod harness;
mod load;
mod machine;
mod monitoring_config;
mod mutants;
mod prod;
mod proxy_config;
mod release;
mod unhardened;

use stackproof::suite::{self, AnySuite};

fn main() {
    if std::env::var_os(harness::CHILD).is_some() {
        harness::child();
    }
    // The longest first: the whole run lasts at least as long as the prod suite.
    let mut suites: Vec<Box<dyn AnySuite>> =
        vec![Box::new(prod::suite()), Box::new(release::suite()), Box::new(backup::suite()), Box::new(acme::suite())];
    suites.extend(mutants::suites());
    suites.extend(load::suites().into_iter().map(|s| Box::new(s) as Box<dyn AnySuite>));
    suites.push(Box::new(monitoring_config::suite()));
    suites.push(Box::new(harness::suite()));
    suites.extend(dev::suites().into_iter().map(|s| Box::new(s) as Box<dyn AnySuite>));
    suites.push(Box::new(unhardened::suite()));
    suites.push(Box::new(proxy_config::suite()));
    suites.push(Box::new(machine::suite()));
    suites.push(Box::new(browser::suite()));
    suite::main(suites)
}
