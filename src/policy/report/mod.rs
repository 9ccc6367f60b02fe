//! Findings written for people (one line each), code scanning (SARIF 2.1.0) and CI (JUnit XML).

mod human;
mod junit;
mod sarif;

pub use human::human;
pub use junit::junit;
pub use sarif::sarif;
