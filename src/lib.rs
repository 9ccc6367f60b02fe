//! stackproof: boots the stock-analysis platform's Docker stacks and proves their properties.
//!
//! Every check, whatever it looks at, follows one model ([`check`]): a stable id, a name that
//! says what it proves, a severity, and findings that say what is wrong, where and how to fix
//! it. Each kind keeps its registry: compose rules ([`policy::rules`]), Kubernetes rules
//! ([`k8s::rules`]), runtime hardening ([`hardening::rules`]), the live edge ([`edge`]) and the
//! monitoring ([`monitoring`]). The rest is how they reach what they judge: the [`stack`] under
//! test, the [`site`] through its proxy, the one [`command`] runner with a deadline.

pub mod browser;
pub mod check;
pub mod command;
pub mod compose_config;
pub mod docker;
pub mod drill;
pub mod edge;
pub mod hardening;
pub mod k8s;
pub mod load;
pub mod monitoring;
pub mod mounts;
pub mod observe;
pub mod policy;
pub mod probe;
pub mod prod;
pub mod repo;
pub mod site;
pub mod stack;
pub mod steady_load;
pub mod suite;
pub mod wait;
