//! The production edge as a client sees it, through the proxy with a CA this test generates:
//! TLS versions and ciphers, certificate chain and name, redirects, security headers on every
//! route class, cookie flags, authentication and authorisation, what must stay unreachable,
//! replica spreading, and a replica killed under load costing no request. One stack boot, many
//! named checks (`tests/edge/mod.rs`); `prod_edge_mutants.rs` shows each of them failing.

mod edge;
mod util;

use anyhow::Result;
use edge::Edge;
use stackproof::prod;

#[tokio::test]
async fn the_production_edge_holds_every_property() -> Result<()> {
    require_docker!("the_production_edge_holds_every_property");
    let secrets = prod::Secrets::generate()?;
    let edge = Edge::boot(prod::spec("prod-edge", &secrets)).await?;
    let outcome = util::run_checks(&edge, edge::all()).await;
    edge.stack.down().await?;
    outcome
}

