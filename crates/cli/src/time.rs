//! RFC 3339 timestamps (UTC, whole seconds) for `fetched_at`, written by
//! `jiff`.

use std::time::SystemTime;

use jiff::Timestamp;

/// `time` as `YYYY-MM-DDTHH:MM:SSZ`, sub-seconds dropped. Times before 1970
/// (and after jiff's year 9999) print as the epoch.
pub fn rfc3339(time: SystemTime) -> String {
    let at = Timestamp::try_from(time)
        .ok()
        .filter(|at| *at >= Timestamp::UNIX_EPOCH)
        .unwrap_or(Timestamp::UNIX_EPOCH);
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn at(secs: u64) -> String {
        rfc3339(UNIX_EPOCH + Duration::from_secs(secs))
    }

    #[test]
    fn known_instants() {
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_704_067_199), "2023-12-31T23:59:59Z");
        assert_eq!(at(1_709_164_800), "2024-02-29T00:00:00Z");
        assert_eq!(at(1_795_860_000), "2026-11-28T10:00:00Z");
        assert_eq!(at(4_107_542_400), "2100-03-01T00:00:00Z");
    }

    #[test]
    fn sub_seconds_are_dropped() {
        let t = UNIX_EPOCH + Duration::from_millis(1_704_067_199_999);
        assert_eq!(rfc3339(t), "2023-12-31T23:59:59Z");
    }

    #[test]
    fn before_epoch_is_epoch() {
        assert_eq!(
            rfc3339(UNIX_EPOCH - Duration::from_secs(5)),
            "1970-01-01T00:00:00Z"
        );
    }
}
