//! Every export format of the shared fleet, as reviewed snapshots.

mod export_support;

use export_support::fleet;
use rds_dr_topology::export::{self, Format};

#[test]
fn dot() {
    insta::assert_snapshot!(export::dot(&fleet()));
}

#[test]
fn mermaid() {
    insta::assert_snapshot!(export::mermaid(&fleet()));
}

#[test]
fn graphml() {
    insta::assert_snapshot!(export::graphml(&fleet()));
}

#[test]
fn node_link() {
    insta::assert_snapshot!(export::node_link(&fleet()));
}

#[test]
fn cytoscape() {
    insta::assert_snapshot!(export::cytoscape(&fleet()));
}

#[test]
fn svg() {
    insta::assert_snapshot!(export::svg(&fleet()));
}

#[test]
fn export_dispatches_to_the_named_format() {
    let view = fleet();
    let by_name = [
        ("dot", export::dot(&view)),
        ("mermaid", export::mermaid(&view)),
        ("graphml", export::graphml(&view)),
        ("node-link", export::node_link(&view)),
        ("cytoscape", export::cytoscape(&view)),
        ("svg", export::svg(&view)),
    ];
    for (name, expected) in by_name {
        let format: Format = name.parse().unwrap();
        assert_eq!(format.as_str(), name);
        assert_eq!(format.to_string(), name);
        assert_eq!(export::export(&view, format), expected, "{name}");
    }
    assert_eq!(Format::ALL.len(), 6);
}

#[test]
fn unknown_format_names_are_rejected() {
    for bad in ["", "DOT", "json", "nodelink", "node_link", " svg", "png"] {
        let err = bad.parse::<Format>().unwrap_err();
        assert_eq!(err.input(), bad);
        let message = err.to_string();
        assert!(
            message.contains("dot, mermaid, graphml, node-link, cytoscape, svg"),
            "{message}"
        );
    }
}
