//! How the pictures show an edge's replication health: its colour and the
//! short text on the edge.

use crate::health::Health;
use crate::view::EdgeView;

/// The colour of an edge whose health needs attention (`failed`, `broken`,
/// `lagging`, `building`); `None` keeps the edge's status colour.
pub(crate) fn colour(health: Health) -> Option<&'static str> {
    match health {
        Health::Failed => Some("#a61e4d"),
        Health::Broken => Some("#e03131"),
        Health::Lagging => Some("#f08c00"),
        Health::Building => Some("#1971c2"),
        _ => None,
    }
}

/// The text on an edge whose health needs attention: the health, and for a
/// lagging (or broken) one its largest lag, e.g. `lagging 348.8 MB`.
pub(crate) fn label(edge: &EdgeView<'_>) -> Option<String> {
    colour(edge.health)?;
    let lag = [edge.send_lag_mb, edge.replay_lag_mb]
        .into_iter()
        .flatten()
        .fold(None, |max: Option<f64>, v| {
            Some(max.map_or(v, |m| m.max(v)))
        });
    let mut text = edge.health.as_str().to_owned();
    if matches!(edge.health, Health::Lagging | Health::Broken) {
        if let Some(mb) = lag.filter(|mb| *mb > 0.0) {
            text.push_str(&format!(" {}", megabytes(mb)));
        } else if let Some(ms) = edge.replay_delay_ms {
            text.push_str(&format!(" {:.1} s", ms / 1000.0));
        }
    }
    Some(text)
}

fn megabytes(mb: f64) -> String {
    if mb >= 1024.0 {
        format!("{:.1} GB", mb / 1024.0)
    } else {
        format!("{mb:.1} MB")
    }
}

/// Every health value the legend names: (health, colour).
pub(crate) const LEGEND: [(Health, &str); 4] = [
    (Health::Failed, "#a61e4d"),
    (Health::Broken, "#e03131"),
    (Health::Lagging, "#f08c00"),
    (Health::Building, "#1971c2"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::EdgeStatus;

    #[test]
    fn labels_name_the_health_and_the_largest_lag() {
        let mut e = EdgeView::new("p", "d", EdgeStatus::Confirmed, Some(true));
        assert_eq!(label(&e), None);
        e.health = Health::Lagging;
        e.send_lag_mb = Some(200.5);
        e.replay_lag_mb = Some(348.75);
        assert_eq!(label(&e).as_deref(), Some("lagging 348.8 MB"));
        e.replay_lag_mb = Some(2048.0);
        assert_eq!(label(&e).as_deref(), Some("lagging 2.0 GB"));
        e.send_lag_mb = None;
        e.replay_lag_mb = None;
        e.replay_delay_ms = Some(95_000.0);
        assert_eq!(label(&e).as_deref(), Some("lagging 95.0 s"));
        e.health = Health::Failed;
        assert_eq!(label(&e).as_deref(), Some("failed"));
        for (h, c) in LEGEND {
            assert_eq!(colour(h), Some(c));
        }
        assert_eq!(colour(Health::Healthy), None);
    }
}
