//! The fleet the scale benches measure: 100,000 primaries (about 267,000
//! instances) over 30 regions x 3 projects = 90 captures, from seed 2026.
//!
//! One file shared by `crates/topology/benches/merge.rs` and
//! `tests/benches/check_scale.rs` (each includes it with `#[path]`), so that
//! their figures are of the same fleet. `docs/performance.md` quotes them.

use rds_dr_model::synth::FleetSpec;

/// The benchmark fleet with `primaries` primaries (100,000 in the benches).
pub fn spec_with(primaries: usize) -> FleetSpec {
    FleetSpec::new()
        .seed(2026)
        .region_count(30)
        .projects_per_region(3)
        .primaries(primaries)
}

/// The benchmark fleet: 100,000 primaries.
pub fn spec() -> FleetSpec {
    spec_with(100_000)
}
