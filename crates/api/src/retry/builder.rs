//! [`RetryPolicyBuilder`]: a [`RetryPolicy`] from the defaults and checked
//! settings.

use std::time::Duration;

use super::{RetryPolicy, Secs};

/// Builds a [`RetryPolicy`]; starts from the defaults.
#[derive(Clone, Debug)]
pub struct RetryPolicyBuilder {
    policy: RetryPolicy,
}

impl Default for RetryPolicyBuilder {
    fn default() -> Self {
        RetryPolicyBuilder::new()
    }
}

impl RetryPolicyBuilder {
    /// A builder with the defaults (see [`RetryPolicy`]).
    pub fn new() -> Self {
        RetryPolicyBuilder {
            policy: RetryPolicy::default(),
        }
    }

    /// Attempts in all, the first one included; must be at least 1.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.policy.max_attempts = attempts;
        self
    }

    /// Retries after the first attempt (what the CLI's `--retries N` means):
    /// sets `max_attempts` to `retries + 1`.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.policy.max_attempts = retries.saturating_add(1);
        self
    }

    /// Upper bound of the first retry's delay.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.policy.initial_backoff = backoff;
        self
    }

    /// Upper bound of any computed delay; at least `initial_backoff`.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.policy.max_backoff = backoff;
        self
    }

    /// Growth of the delay bound per retry; finite and at least 1.
    pub fn multiplier(mut self, multiplier: f64) -> Self {
        self.policy.multiplier = multiplier;
        self
    }

    /// Time budget of a whole call, counted from the start of the first attempt.
    pub fn budget(mut self, budget: Duration) -> Self {
        self.policy.budget = budget;
        self
    }

    /// Checks the settings and builds the policy.
    pub fn build(self) -> Result<RetryPolicy, InvalidRetryPolicy> {
        let p = self.policy;
        if p.max_attempts == 0 {
            return Err(InvalidRetryPolicy("max_attempts must be at least 1".into()));
        }
        if !p.multiplier.is_finite() || p.multiplier < 1.0 {
            return Err(InvalidRetryPolicy(format!(
                "the multiplier must be a finite number of at least 1, not {}",
                p.multiplier
            )));
        }
        if p.initial_backoff > p.max_backoff {
            return Err(InvalidRetryPolicy(format!(
                "initial_backoff ({}) exceeds max_backoff ({})",
                Secs(p.initial_backoff),
                Secs(p.max_backoff)
            )));
        }
        Ok(p)
    }
}

/// A [`RetryPolicyBuilder`] with inconsistent settings.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid retry policy: {0}")]
pub struct InvalidRetryPolicy(String);
