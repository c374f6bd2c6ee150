//! The text renderings of the shared fleet, as reviewed snapshots.

mod export_support;

use export_support::fleet;
use rds_dr_topology::render;

#[test]
fn tree() {
    insta::assert_snapshot!(render::tree(&fleet()));
}

#[test]
fn table() {
    insta::assert_snapshot!(render::table(&fleet()));
}
