//! The workspace's one small random generator, SplitMix64 (Steele, Lea and
//! Flood, 2014): the synthetic fleets of `synth`, the retry layer's jitter
//! (`rds_dr_api::retry::StdRandom`) and the fake cloud's fault draws all use
//! it, so that a seed means the same sequence everywhere. It is fast and
//! statistically good enough for test data and jitter; it is **not** for
//! secrets. It lives here, dependency-free, because every crate that needs
//! it already depends on this one.
//!
//! ```
//! use rds_dr_model::random::{SplitMix64, mix};
//!
//! let mut rng = SplitMix64::new(0);
//! assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
//! assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
//! // `mix(state)` is the output of a generator in that state.
//! assert_eq!(mix(0), 0xe220_a839_7b1d_cdaf);
//! assert!(rng.below(10) < 10);
//! ```

/// The increment of the state per draw (the golden ratio in 64 bits).
pub const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// The output of a generator in state `state`: `state + GAMMA` through
/// SplitMix64's finaliser (a bijection on `u64` with good avalanche), so
/// also a good one-shot hash of a `u64`. `SplitMix64::new(x).next_u64()`
/// is `mix(x)`.
#[must_use]
pub const fn mix(state: u64) -> u64 {
    let mut z = state.wrapping_add(GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The top 53 bits of `bits` as a float uniform in `[0, 1)`.
#[must_use]
pub fn unit_interval(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// A SplitMix64 generator: the same seed gives the same sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose first output is `mix(seed)`.
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next number, uniform over `u64`.
    pub fn next_u64(&mut self) -> u64 {
        let out = mix(self.state);
        self.state = self.state.wrapping_add(GAMMA);
        out
    }

    /// A number uniform in `0..n` (Lemire's multiply-shift; `n > 0`, else 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// A float uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        unit_interval(self.next_u64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_sequence() {
        // The reference implementation's first outputs for seed 0 and for
        // seed 1234567.
        let mut rng = SplitMix64::new(0);
        let got: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(
            got,
            [
                0xe220_a839_7b1d_cdaf,
                0x6e78_9e6a_a1b9_65f4,
                0x06c4_5d18_8009_454f
            ]
        );
        let mut rng = SplitMix64::new(1_234_567);
        let got: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(
            got,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423
            ]
        );
    }

    #[test]
    fn helpers_stay_in_range() {
        let mut rng = SplitMix64::new(42);
        for n in [1, 2, 3, 10, 1000, usize::MAX] {
            for _ in 0..100 {
                assert!(rng.below(n) < n);
            }
        }
        assert_eq!(rng.below(0), 0);
        for _ in 0..1000 {
            let u = rng.unit();
            assert!((0.0..1.0).contains(&u), "{u}");
        }
        assert_eq!(unit_interval(0), 0.0);
        assert!(unit_interval(u64::MAX) < 1.0);
    }
}
