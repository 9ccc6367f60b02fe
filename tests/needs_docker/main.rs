#[path = "../common/mod.rs"]
mod common;
fn main() { stackproof::suite::main(Vec::new()) }
