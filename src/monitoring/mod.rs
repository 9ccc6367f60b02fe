//! The monitoring, proven to work rather than configured (`SP5xx`): its configuration judged by
//! its own tools before anything runs ([`config`]), and the running monitoring asked what it
//! sees and whom it tells ([`live`]).

pub mod config;
pub mod dashboards;
pub mod live;
pub mod promql;
pub mod toolbox;

use crate::check::Meta;

/// Every monitoring check, configuration and live, in id order.
pub fn catalog() -> Vec<&'static Meta> {
    config::ALL.iter().map(|c| &c.meta).chain(live::ALL.iter().map(|c| &c.meta)).collect()
}
