//! Large views: every export and rendering finishes (no hang, no stack
//! overflow) and is still well-formed. Not timed: benches measure speed.

mod export_support;

use export_support::{big_fleet, big_ids, view};
use rds_dr_topology::export::{self, Format};
use rds_dr_topology::render;
use rds_dr_topology::view::{EdgeStatus, NodeView, Role};

const SVG_NS: &str = "http://www.w3.org/2000/svg";

fn node_groups(doc: &roxmltree::Document<'_>) -> usize {
    doc.descendants()
        .filter(|n| {
            n.has_tag_name((SVG_NS, "g"))
                && n.attribute("class")
                    .is_some_and(|c| c.split(' ').any(|c| c == "node"))
        })
        .count()
}

#[test]
fn ten_thousand_instances_render_as_svg() {
    let ids = big_ids(10_000);
    let view = big_fleet(&ids);
    assert_eq!(view.nodes.len(), 10_000);
    assert!(view.edges.len() > 4_000);
    let svg = export::svg(&view);
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    assert_eq!(node_groups(&doc), 10_000);
    let width: f64 = doc
        .root_element()
        .attribute("width")
        .unwrap()
        .parse()
        .unwrap();
    let height: f64 = doc
        .root_element()
        .attribute("height")
        .unwrap()
        .parse()
        .unwrap();
    // Packed into rows, not one 10,000-box-wide strip.
    assert!(
        width / height < 4.0 && height / width < 4.0,
        "{width} x {height}"
    );
}

#[test]
fn ten_thousand_instances_export_in_every_format() {
    let ids = big_ids(10_000);
    let view = big_fleet(&ids);
    for format in Format::ALL {
        let text = export::export(&view, format);
        match format {
            Format::NodeLink => {
                let json: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(json["nodes"].as_array().unwrap().len(), 10_000);
            }
            Format::Cytoscape => {
                let json: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(
                    json["elements"]["edges"].as_array().unwrap().len(),
                    view.edges.len()
                );
            }
            // Parsed by ten_thousand_instances_render_as_svg and the
            // proptest; here only counted, to keep the debug build quick.
            Format::GraphMl => assert_eq!(text.matches("<node id=").count(), 10_000),
            Format::Svg => assert_eq!(text.matches("<g class=\"node ").count(), 10_000),
            Format::Dot => assert_eq!(text.matches(" -> ").count(), view.edges.len()),
            Format::Mermaid => assert!(text.contains("n9999[")),
            other => panic!("no check for {other:?}: add one"),
        }
    }
    assert_eq!(render::table(&view).lines().count(), 10_002);
    assert!(render::tree(&view).lines().count() >= 10_000);
}

/// A 10,000-deep cascade: any recursion over depth would overflow the stack.
#[test]
fn a_ten_thousand_deep_cascade_does_not_recurse() {
    let ids = big_ids(10_000);
    let nodes = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let role = if i == 0 {
                Role::Primary
            } else {
                Role::Cascaded
            };
            NodeView::new(id, role, &ids[0]).located(
                Some(export_support::REGIONS[i % 8]),
                None,
                None,
            )
        })
        .collect();
    let edges: Vec<_> = ids
        .windows(2)
        .map(|w| (w[0].as_str(), w[1].as_str(), EdgeStatus::Confirmed))
        .collect();
    let v = view(nodes, &edges);
    let svg = export::svg(&v);
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    assert_eq!(node_groups(&doc), 10_000);
    let ys: Vec<f64> = doc
        .descendants()
        .filter(|n| {
            n.has_tag_name((SVG_NS, "rect"))
                && n.parent().and_then(|p| p.attribute("data-id")).is_some()
        })
        .map(|r| r.attribute("y").unwrap().parse().unwrap())
        .collect();
    assert!(
        ys.windows(2).all(|w| w[0] < w[1]),
        "each cascade step one layer lower"
    );

    // The tree indents by depth, so keep its output size sane: 1,000 deep.
    let short: Vec<_> = edges[..999].to_vec();
    let nodes: Vec<_> = v.nodes[..1000].to_vec();
    let tree = render::tree(&view(nodes, &short));
    assert_eq!(tree.lines().filter(|l| l.contains("in03")).count(), 1000);
    assert!(
        tree.lines()
            .last()
            .unwrap()
            .starts_with(&" ".repeat(6 * 998))
    );
}
