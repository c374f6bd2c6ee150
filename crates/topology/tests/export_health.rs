//! Every export and rendering carries the edges' replication health.

use rds_dr_topology::view::{EdgeStatus, EdgeView, GraphView, NodeView, Role};
use rds_dr_topology::{Health, export, render};
use serde_json::{Value, json};

fn health_view() -> GraphView<'static> {
    let node = |id: &'static str, region: &'static str, role| {
        NodeView::new(id, role, "p").located(
            Some(region),
            Some("0483b6b16e954cb88930a360d2c4e663"),
            None,
        )
    };
    let nodes = vec![
        node("d1", "ap-southeast-1", Role::Dr),
        node("d2", "cn-east-3", Role::Dr),
        node("d3", "ap-southeast-3", Role::Dr),
        node("p", "cn-north-4", Role::Primary),
    ];
    let mut broken = EdgeView::new("p", "d1", EdgeStatus::Confirmed, Some(true));
    broken.health = Health::Broken;
    broken.replica_state = Some("-1");
    broken.dr_status = Some("normal");
    let mut lagging = EdgeView::new("p", "d2", EdgeStatus::Confirmed, Some(true));
    lagging.health = Health::Lagging;
    lagging.replica_state = Some("0");
    lagging.send_lag_mb = Some(210.5);
    lagging.replay_lag_mb = Some(348.75);
    lagging.replay_delay_ms = Some(95_000.0);
    lagging.dr_since = Some("2025-12-06T00:00:00Z");
    let healthy = EdgeView::new("p", "d3", EdgeStatus::Confirmed, Some(true));
    GraphView::new(nodes, vec![broken, lagging, healthy])
}

#[test]
fn json_exports_carry_health_and_leave_out_what_is_unknown() {
    let view = health_view();
    let v: Value = serde_json::from_str(&export::node_link(&view)).expect("json");
    assert_eq!(v["edges"][0]["health"], "broken");
    assert_eq!(v["edges"][0]["replica_state"], "-1");
    assert!(v["edges"][0].get("send_lag_mb").is_none());
    assert_eq!(
        v["edges"][1],
        json!({"source": "p", "target": "d2", "status": "confirmed", "cross_region": true,
               "health": "lagging", "replica_state": "0", "send_lag_mb": 210.5,
               "replay_lag_mb": 348.75, "replay_delay_ms": 95000.0,
               "dr_since": "2025-12-06T00:00:00Z"})
    );
    assert_eq!(v["edges"][2]["health"], "unknown");
    let c: Value = serde_json::from_str(&export::cytoscape(&view)).expect("json");
    assert_eq!(c["elements"]["edges"][1]["data"]["replay_lag_mb"], 348.75);
}

#[test]
fn graphml_dot_and_mermaid_carry_health() {
    let view = health_view();
    let graphml = export::graphml(&view);
    assert!(graphml.contains("<data key=\"health\">broken</data>"));
    assert!(graphml.contains("<data key=\"replay_lag_mb\">348.75</data>"));
    roxmltree::Document::parse(&graphml).expect("well-formed");
    let dot = export::dot(&view);
    let broken = dot
        .lines()
        .find(|l| l.contains("\"p\" -> \"d1\""))
        .expect("edge");
    assert!(broken.contains("color=\"#e03131\""), "{broken}");
    assert!(broken.contains("label=\"broken\""), "{broken}");
    assert!(broken.contains("replica_state=\"-1\""), "{broken}");
    let lagging = dot
        .lines()
        .find(|l| l.contains("\"p\" -> \"d2\""))
        .expect("edge");
    assert!(lagging.contains("label=\"lagging 348.8 MB\""), "{lagging}");
    assert!(lagging.contains("send_lag_mb=210.5"), "{lagging}");
    let healthy = dot
        .lines()
        .find(|l| l.contains("\"p\" -> \"d3\""))
        .expect("edge");
    assert!(!healthy.contains("label="), "{healthy}");
    let mermaid = export::mermaid(&view);
    assert!(mermaid.contains("|\"confirmed, broken\"|"), "{mermaid}");
    assert!(mermaid.contains("linkStyle 0 stroke:#e03131"), "{mermaid}");
    assert!(mermaid.contains("linkStyle 1 stroke:#f08c00"), "{mermaid}");
}

#[test]
fn svg_colours_and_labels_unhealthy_edges_and_has_a_legend() {
    let svg = export::svg(&health_view());
    roxmltree::Document::parse(&svg).expect("well-formed");
    assert!(svg.contains("class=\"edge confirmed health-broken\""));
    assert!(svg.contains("data-health=\"lagging\""));
    assert!(svg.contains(">lagging 348.8 MB</text>"));
    assert!(svg.contains(">health:</text>"));
    assert_eq!(svg.matches("class=\"lag\"").count(), 2);
}

#[test]
fn tree_and_table_have_a_health_column() {
    let view = health_view();
    let tree = render::tree(&view);
    let line = |id: &str| {
        tree.lines()
            .find(|l| l.contains(&format!("] {id} ")))
            .unwrap_or_else(|| panic!("{id}: {tree}"))
            .to_owned()
    };
    assert!(line("d1").contains("  broken"), "{tree}");
    assert!(line("d2").contains("  lagging 348.8 MB"), "{tree}");
    assert!(line("d3").contains("  unknown"), "{tree}");
    let table = render::table(&view);
    assert!(
        table
            .lines()
            .nth(1)
            .expect("header")
            .ends_with("DRS  HEALTH")
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("d1 ") && l.ends_with("broken")),
        "{table}"
    );
}
