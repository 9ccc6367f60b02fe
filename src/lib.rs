//! stackproof: boots the stock-analysis platform's Docker stacks and proves their properties.
//!
//! The library holds the reusable pieces (Docker access, the [`stack::Stack`] abstraction,
//! config rendering); the checks themselves live in `tests/`, one file per concern.

pub mod command;
pub mod compose_config;
pub mod docker;
pub mod hardening;
pub mod load;
pub mod policy;
pub mod probe;
pub mod prod;
pub mod repo;
pub mod stack;
pub mod wait;
