//! `examples/scan_fleet.rs` runs offline: its code, checked.

#[allow(dead_code)] // the example's `main` is not called here
#[path = "../examples/scan_fleet.rs"]
mod scan_fleet;

#[test]
fn scan_fleet_example_retries_transient_failures_and_reports_the_rest() {
    let outcome = scan_fleet::scan(12);
    let report = &outcome.report;
    assert_eq!(report.total(), 12);
    assert_eq!(
        report.captures.len(),
        11,
        "every transient failure is retried"
    );
    assert_eq!(report.failures.len(), 1);
    assert_eq!(report.failures[0].error.status(), Some(403));
    // 12 first calls, 2 retries for each of four targets, 1 for the throttled one.
    assert_eq!(outcome.calls, 12 + 4 * 2 + 1);
    // The throttled target waited its Retry-After (2 s); the others backed off.
    assert!(
        outcome.slept >= std::time::Duration::from_secs(2),
        "{:?}",
        outcome.slept
    );
    for capture in &report.captures {
        assert_eq!(capture.response.instance_dr_relations.len(), 1);
    }
}
