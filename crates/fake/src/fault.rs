//! Fault kinds, their text form, and the deterministic rule that decides
//! which request gets which fault.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

/// A failure the fake can inject instead of (or on top of) a normal answer.
///
/// The text form (used by `--faults`) is `429`, `500`, `503`, `reset`,
/// `truncate` and `slow`:
///
/// ```
/// use rds_dr_fake::Fault;
///
/// let faults = Fault::parse_list("429, reset,truncate")?;
/// assert_eq!(faults, [Fault::TooManyRequests, Fault::Reset, Fault::Truncate]);
/// assert_eq!(Fault::Unavailable.to_string(), "503");
/// assert!("teapot".parse::<Fault>().is_err());
/// # Ok::<(), rds_dr_fake::ParseFaultError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// HTTP 429 with `APIGW.0308` and a `Retry-After` header.
    TooManyRequests,
    /// HTTP 500 with a Huawei-shaped body.
    InternalError,
    /// HTTP 503 with a Huawei-shaped body.
    Unavailable,
    /// The connection is closed (with a TCP reset) without any response.
    Reset,
    /// The status line and headers (with the full `Content-Length`) are sent,
    /// then only the first half of the body, then the connection is closed.
    Truncate,
    /// The answer is stalled for the slow delay (30 s unless configured)
    /// before it is sent normally.
    Slow,
}

impl Fault {
    /// Every fault kind, in text-form order.
    pub const ALL: [Fault; 6] = [
        Fault::TooManyRequests,
        Fault::InternalError,
        Fault::Unavailable,
        Fault::Reset,
        Fault::Truncate,
        Fault::Slow,
    ];

    /// The kinds enabled when a fault rate is set but no kinds are chosen:
    /// every kind but [`Fault::Slow`], which would stall a client for its
    /// whole timeout.
    pub const DEFAULT: [Fault; 5] = [
        Fault::TooManyRequests,
        Fault::InternalError,
        Fault::Unavailable,
        Fault::Reset,
        Fault::Truncate,
    ];

    /// The text form: `429`, `500`, `503`, `reset`, `truncate` or `slow`.
    pub fn name(self) -> &'static str {
        match self {
            Fault::TooManyRequests => "429",
            Fault::InternalError => "500",
            Fault::Unavailable => "503",
            Fault::Reset => "reset",
            Fault::Truncate => "truncate",
            Fault::Slow => "slow",
        }
    }

    /// Parses a comma-separated list such as `429,503,reset`.
    ///
    /// Names are case-insensitive and may be surrounded by spaces; a name
    /// given twice counts once; the order is kept. An empty list, an empty
    /// item or an unknown name is an error.
    pub fn parse_list(text: &str) -> Result<Vec<Fault>, ParseFaultError> {
        if text.trim().is_empty() {
            return Err(ParseFaultError::new(text, "the fault list is empty"));
        }
        let mut faults = Vec::new();
        for item in text.split(',') {
            let fault: Fault = item.parse().map_err(|e: ParseFaultError| ParseFaultError {
                input: text.to_owned(),
                reason: e.reason,
            })?;
            if !faults.contains(&fault) {
                faults.push(fault);
            }
        }
        Ok(faults)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Fault {
    type Err = ParseFaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim();
        if name.is_empty() {
            return Err(ParseFaultError::new(s, "empty fault name"));
        }
        Fault::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| ParseFaultError::new(s, &format!("unknown fault `{name}`")))
    }
}

/// A fault list (or one fault name) that could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid fault list `{input}`: {reason} (expected a comma-separated list of 429, 500, 503, reset, truncate, slow)"
)]
pub struct ParseFaultError {
    input: String,
    reason: String,
}

impl ParseFaultError {
    fn new(input: &str, reason: &str) -> Self {
        ParseFaultError {
            input: input.to_owned(),
            reason: reason.to_owned(),
        }
    }

    /// The text that was parsed.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// What is wrong with it.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// SplitMix64's output function ([`rds_dr_model::random::mix`]): a bijection
/// on `u64` with good avalanche.
pub(crate) use rds_dr_model::random::mix as mix64;

/// FNV-1a, 64 bits: a stable hash of the fault key (std's hasher is not
/// stable across releases).
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The fault decision for one attempt, as a pure function.
///
/// `draw = mix64(mix64(seed ^ fnv1a64(key)) ^ attempt)`; the attempt is
/// faulted when `(draw >> 11) / 2^53 < rate`, and the kind is
/// `kinds[mix64(draw) % kinds.len()]`.
pub(crate) fn draw(
    seed: u64,
    key: &str,
    attempt: u64,
    rate: f64,
    kinds: &[Fault],
) -> Option<Fault> {
    if kinds.is_empty() || rate <= 0.0 {
        return None;
    }
    let draw = mix64(mix64(seed ^ fnv1a64(key.as_bytes())) ^ attempt);
    let unit = rds_dr_model::random::unit_interval(draw);
    if unit >= rate {
        return None;
    }
    let index = (mix64(draw) % kinds.len() as u64) as usize;
    Some(kinds[index])
}

/// Per-key attempt counters and the configured rule.
#[derive(Debug)]
pub(crate) struct FaultPlan {
    seed: u64,
    rate: f64,
    kinds: Vec<Fault>,
    max_consecutive: u32,
    keys: Mutex<HashMap<String, KeyState>>,
}

#[derive(Debug, Default)]
struct KeyState {
    attempts: u64,
    consecutive: u32,
}

impl FaultPlan {
    pub(crate) fn new(seed: u64, rate: f64, kinds: Vec<Fault>, max_consecutive: u32) -> Self {
        FaultPlan {
            seed,
            rate,
            kinds,
            max_consecutive,
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// Decides the fault (if any) for the next attempt on `key`.
    ///
    /// Attempts are numbered per key from 0. An attempt that would make more
    /// than `max_consecutive` faults in a row for its key is answered
    /// normally (and resets the run).
    pub(crate) fn decide(&self, key: &str) -> Option<Fault> {
        if self.kinds.is_empty() || self.rate <= 0.0 {
            return None;
        }
        // A poisoned lock only means another request panicked mid-update of
        // two counters; the counters are still usable.
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        let state = keys.entry(key.to_owned()).or_default();
        let attempt = state.attempts;
        state.attempts += 1;
        let fault = draw(self.seed, key, attempt, self.rate, &self.kinds);
        match fault {
            Some(_) if state.consecutive < self.max_consecutive => {
                state.consecutive += 1;
                fault
            }
            _ => {
                state.consecutive = 0;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_name_and_rejects_junk() {
        for fault in Fault::ALL {
            assert_eq!(fault.name().parse::<Fault>(), Ok(fault));
            assert_eq!(fault.name().to_uppercase().parse::<Fault>(), Ok(fault));
        }
        assert_eq!(
            Fault::parse_list("reset,429,reset").unwrap(),
            [Fault::Reset, Fault::TooManyRequests]
        );
        let err = Fault::parse_list("429,,503").unwrap_err();
        assert!(err.to_string().contains("empty fault name"), "{err}");
        let err = Fault::parse_list("429,404").unwrap_err();
        assert!(err.to_string().contains("unknown fault `404`"), "{err}");
        assert!(Fault::parse_list(" ").is_err());
    }

    #[test]
    fn draw_rate_is_respected_roughly_and_kinds_are_spread() {
        let kinds = Fault::ALL;
        let mut hits = HashMap::new();
        let n = 20_000;
        let mut faulted = 0;
        for attempt in 0..n {
            if let Some(f) = draw(7, "key", attempt, 0.3, &kinds) {
                faulted += 1;
                *hits.entry(f).or_insert(0) += 1;
            }
        }
        let ratio = faulted as f64 / n as f64;
        assert!((0.27..0.33).contains(&ratio), "ratio {ratio}");
        assert_eq!(hits.len(), kinds.len(), "{hits:?}");
        assert_eq!(draw(7, "key", 0, 0.0, &kinds), None);
        assert!((0..100).all(|a| draw(7, "key", a, 1.0, &kinds).is_some()));
    }

    #[test]
    fn plan_caps_consecutive_faults_per_key() {
        let plan = FaultPlan::new(1, 1.0, vec![Fault::Unavailable], 2);
        let seq: Vec<_> = (0..6).map(|_| plan.decide("p")).collect();
        let f = Some(Fault::Unavailable);
        assert_eq!(seq, [f, f, None, f, f, None]);
        // Another key has its own counter.
        assert_eq!(plan.decide("q"), f);
    }

    /// The sequence the crate docs promise, pinned: these values were
    /// computed from the documented formula by an independent
    /// implementation (a few lines of Python), not by this crate.
    #[test]
    fn draws_follow_the_documented_formula() {
        let got: Vec<Option<&str>> = (0..16)
            .map(|a| {
                draw(
                    2026,
                    "0483b6b16e954cb88930a360d2c4e663",
                    a,
                    0.5,
                    &Fault::ALL,
                )
            })
            .map(|f| f.map(Fault::name))
            .collect();
        let (r, e500, e503, e429, slow) = (
            Some("reset"),
            Some("500"),
            Some("503"),
            Some("429"),
            Some("slow"),
        );
        assert_eq!(
            got,
            [
                None, None, r, None, None, None, e500, e429, e503, slow, None, e500, e503, None,
                None, None
            ]
        );
        assert_eq!(mix64(0), 0xe220_a839_7b1d_cdaf);
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
    }

    #[test]
    fn mix64_is_a_bijection_on_a_sample() {
        let mut seen = std::collections::HashSet::new();
        for x in 0..10_000u64 {
            assert!(seen.insert(mix64(x)));
        }
    }
}
