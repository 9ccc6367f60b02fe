//! SP309 logs-are-kept-and-rotated.

use super::{Rule, flag};
use crate::check::{Finding, Kind, Meta, Severity};
use crate::hardening::Container;

/// The rule.
pub static RULE: Rule = Rule {
    meta: Meta {
        id: "SP309",
        name: "logs-are-kept-and-rotated",
        kind: Kind::Hardening,
        severity: Severity::Error,
        summary: "the container's logs are kept, and bounded: the local driver, or json-file with max-size",
        fix: "set `logging: {driver: json-file, options: {max-size: \"10m\", max-file: \"3\"}}`",
    },
    run: check,
};

fn check(container: &Container) -> Vec<Finding> {
    let log = &container.facts.host_config.log_config;
    let rotated = match log.kind.as_str() {
        "local" => true,
        "json-file" => log.config.contains_key("max-size"),
        _ => false,
    };
    flag(&RULE, container, !rotated, format!("logs are not rotated (driver {})", log.kind))
}
