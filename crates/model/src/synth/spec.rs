//! [`FleetSpec`]: what [`generate`](super::generate) makes.

use std::ops::RangeInclusive;

use super::{Defect, REGIONS};

/// What to generate: a builder, every setting optional.
///
/// Out-of-range settings are clamped rather than rejected: no regions means
/// the default regions, duplicate region names are dropped, at least one
/// project per region, at least one DR per primary, the probability is
/// clamped to `0.0..=1.0`, and there are at most as many cascades as
/// primaries.
#[derive(Clone, Debug, PartialEq)]
pub struct FleetSpec {
    pub(super) seed: u64,
    pub(super) regions: Vec<String>,
    pub(super) projects_per_region: usize,
    pub(super) primaries: usize,
    pub(super) drs_per_primary: (usize, usize),
    pub(super) cross_region: f64,
    pub(super) cascaded: usize,
    pub(super) standalone: usize,
    pub(super) defects: [usize; Defect::ALL.len()],
}

impl Default for FleetSpec {
    fn default() -> Self {
        FleetSpec {
            seed: 0,
            regions: REGIONS[..4].iter().map(|r| (*r).to_owned()).collect(),
            projects_per_region: 2,
            primaries: 20,
            drs_per_primary: (1, 3),
            cross_region: 0.98,
            cascaded: 0,
            standalone: 0,
            defects: [0; Defect::ALL.len()],
        }
    }
}

impl FleetSpec {
    /// The default spec: seed 0, the first 4 of [`REGIONS`], 2 projects per
    /// region, 20 primaries with 1 to 3 DRs, 98% of DRs cross-region, no
    /// cascades, no standalone instances, no defects.
    pub fn new() -> Self {
        FleetSpec::default()
    }

    /// The seed of the pseudo-random generator.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The region names, in order.
    pub fn regions<I, S>(mut self, regions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.regions = regions.into_iter().map(Into::into).collect();
        self
    }

    /// `count` regions: the first ones of [`REGIONS`], then `xx-region-N`.
    pub fn region_count(mut self, count: usize) -> Self {
        self.regions = (0..count)
            .map(|i| match REGIONS.get(i) {
                Some(name) => (*name).to_owned(),
                None => format!("xx-region-{}", i + 1),
            })
            .collect();
        self
    }

    /// Projects per region (one capture each).
    pub fn projects_per_region(mut self, count: usize) -> Self {
        self.projects_per_region = count;
        self
    }

    /// Number of primaries (each with its DRs).
    pub fn primaries(mut self, count: usize) -> Self {
        self.primaries = count;
        self
    }

    /// How many DRs a primary has; smaller counts are more likely (for
    /// `1..=3`: one DR in 1/2 of the groups, two in 1/3, three in 1/6, so
    /// 100,000 primaries make about 267,000 instances).
    pub fn drs_per_primary(mut self, range: RangeInclusive<usize>) -> Self {
        self.drs_per_primary = (*range.start(), *range.end());
        self
    }

    /// The probability that a DR is in another region than its primary.
    pub fn cross_region_probability(mut self, probability: f64) -> Self {
        self.cross_region = probability;
        self
    }

    /// How many DRs also get a DR of their own (in another region).
    pub fn cascaded(mut self, count: usize) -> Self {
        self.cascaded = count;
        self
    }

    /// How many instances without any DR relation (listed as empty records).
    pub fn standalone(mut self, count: usize) -> Self {
        self.standalone = count;
        self
    }

    /// Inject `count` defects of one kind (replaces an earlier count).
    pub fn defect(mut self, defect: Defect, count: usize) -> Self {
        self.defects[defect.index()] = count;
        self
    }

    /// Inject `count` defects of every kind.
    pub fn every_defect(mut self, count: usize) -> Self {
        self.defects = [count; Defect::ALL.len()];
        self
    }

    pub(super) fn normalized(&self) -> FleetSpec {
        let mut spec = self.clone();
        let mut seen = std::collections::HashSet::new();
        spec.regions.retain(|r| seen.insert(r.clone()));
        if spec.regions.is_empty() {
            spec.regions = FleetSpec::default().regions;
        }
        spec.projects_per_region = spec.projects_per_region.max(1);
        let lo = spec.drs_per_primary.0.max(1);
        spec.drs_per_primary = (lo, spec.drs_per_primary.1.max(lo));
        spec.cross_region = if spec.cross_region.is_nan() {
            1.0
        } else {
            spec.cross_region.clamp(0.0, 1.0)
        };
        spec.cascaded = spec.cascaded.min(spec.primaries);
        spec
    }
}
