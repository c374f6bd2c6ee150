//! Exports read back by independent readers: serde_json for the JSON formats,
//! roxmltree (a strict XML 1.0 parser) for GraphML and SVG, and a small DOT
//! lexer written for this test.

mod export_support;

use std::collections::{BTreeMap, BTreeSet};

use export_support::{
    A, B, B1, ODD, ODD_NAME, X, dot_strings, dot_visible, fleet, view, xml_visible,
};
use rds_dr_topology::export;
use rds_dr_topology::view::{EdgeStatus, GraphView, NodeView, Role};
use serde_json::{Value, json};

const GRAPHML_NS: &str = "http://graphml.graphdrawing.org/xmlns";
const SVG_NS: &str = "http://www.w3.org/2000/svg";

fn ids<'a>(view: &GraphView<'a>) -> Vec<&'a str> {
    view.nodes.iter().map(|n| n.id).collect()
}

#[test]
fn node_link_is_networkx_node_link_json() {
    let view = fleet();
    let json: Value = serde_json::from_str(&export::node_link(&view)).unwrap();
    assert_eq!(json["directed"], true);
    assert_eq!(json["multigraph"], false);
    assert_eq!(json["graph"], json!({}));
    assert_eq!(json["edges"], json["links"]);

    let nodes = json["nodes"].as_array().unwrap();
    let got: Vec<&str> = nodes.iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert_eq!(got, ids(&view));
    for node in nodes {
        let keys: BTreeSet<&str> = node
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            BTreeSet::from([
                "id",
                "region",
                "project_id",
                "project_name",
                "role",
                "group"
            ])
        );
    }
    let odd = nodes.iter().find(|n| n["id"] == ODD).unwrap();
    assert_eq!(
        odd["project_name"], ODD_NAME,
        "JSON carries every character"
    );
    let unknown = nodes.iter().find(|n| n["id"] == B1).unwrap();
    assert_eq!(unknown["region"], Value::Null);
    assert_eq!(unknown["project_id"], Value::Null);
    assert_eq!(unknown["role"], "dr");
    assert_eq!(unknown["group"], B);

    let edges = json["edges"].as_array().unwrap();
    assert_eq!(edges.len(), view.edges.len());
    for (edge, expected) in edges.iter().zip(&view.edges) {
        assert_eq!(edge["source"], expected.source);
        assert_eq!(edge["target"], expected.target);
        assert_eq!(edge["status"], expected.status.as_str());
        assert_eq!(edge["cross_region"], json!(expected.cross_region));
    }
    let statuses: BTreeSet<&str> = edges
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        BTreeSet::from(["confirmed", "dr-only", "primary-only", "unverified"])
    );
}

#[test]
fn cytoscape_is_elements_json_with_unique_ids() {
    let view = fleet();
    let json: Value = serde_json::from_str(&export::cytoscape(&view)).unwrap();
    let nodes = json["elements"]["nodes"].as_array().unwrap();
    let edges = json["elements"]["edges"].as_array().unwrap();
    let got: Vec<&str> = nodes
        .iter()
        .map(|n| n["data"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, ids(&view));
    assert_eq!(nodes[0]["data"]["role"], "primary");
    assert_eq!(edges.len(), view.edges.len());
    let mut all_ids = BTreeSet::new();
    for element in nodes.iter().chain(edges) {
        assert!(all_ids.insert(element["data"]["id"].as_str().unwrap().to_owned()));
    }
    let edge = edges.iter().find(|e| e["data"]["target"] == B1).unwrap();
    assert_eq!(
        edge["data"],
        json!({"id": format!("{B}->{B1}"), "source": B, "target": B1, "status": "unverified", "cross_region": null, "health": "unknown"})
    );
}

#[test]
fn graphml_declares_every_attribute_and_escapes_xml() {
    let view = fleet();
    let text = export::graphml(&view);
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "graphml");
    assert_eq!(root.tag_name().namespace(), Some(GRAPHML_NS));

    let mut keys = BTreeMap::new();
    for key in root
        .children()
        .filter(|n| n.has_tag_name((GRAPHML_NS, "key")))
    {
        let id = key.attribute("id").unwrap();
        let decl = (
            key.attribute("for").unwrap(),
            key.attribute("attr.name").unwrap(),
            key.attribute("attr.type").unwrap(),
        );
        assert!(keys.insert(id, decl).is_none(), "key {id} declared twice");
    }
    let declared: BTreeSet<_> = keys.values().copied().collect();
    let expected: BTreeSet<_> = [
        ("node", "region", "string"),
        ("node", "project_id", "string"),
        ("node", "project_name", "string"),
        ("node", "role", "string"),
        ("node", "group", "string"),
        ("edge", "status", "string"),
        ("edge", "cross_region", "boolean"),
        ("edge", "health", "string"),
        ("edge", "replica_state", "string"),
        ("edge", "dr_status", "string"),
        ("edge", "send_lag_mb", "double"),
        ("edge", "replay_lag_mb", "double"),
        ("edge", "replay_delay_ms", "double"),
        ("edge", "dr_since", "string"),
    ]
    .into();
    assert_eq!(declared, expected);

    let graph = root
        .children()
        .find(|n| n.has_tag_name((GRAPHML_NS, "graph")))
        .unwrap();
    assert_eq!(graph.attribute("edgedefault"), Some("directed"));
    let data = |element: roxmltree::Node<'_, '_>| -> BTreeMap<String, String> {
        element
            .children()
            .filter(|n| n.has_tag_name((GRAPHML_NS, "data")))
            .map(|d| {
                let key = d.attribute("key").unwrap();
                let (owner, name, _) = keys[key];
                assert_eq!(
                    owner,
                    element.tag_name().name(),
                    "key {key} used on the wrong element"
                );
                (name.to_owned(), d.text().unwrap_or("").to_owned())
            })
            .collect()
    };

    let nodes: Vec<_> = graph
        .children()
        .filter(|n| n.has_tag_name((GRAPHML_NS, "node")))
        .collect();
    let got: Vec<&str> = nodes.iter().map(|n| n.attribute("id").unwrap()).collect();
    assert_eq!(got, ids(&view), "ids round-trip, including {ODD:?}");
    let odd = nodes
        .iter()
        .find(|n| n.attribute("id") == Some(ODD))
        .unwrap();
    assert_eq!(data(*odd)["project_name"], xml_visible(ODD_NAME));
    assert_eq!(
        data(*odd)["project_name"],
        "Ops \"blue\" & <green>\nline2\u{FFFD}"
    );
    let unknown = nodes
        .iter()
        .find(|n| n.attribute("id") == Some(B1))
        .unwrap();
    assert_eq!(
        data(*unknown),
        BTreeMap::from([("role".into(), "dr".into()), ("group".into(), B.into())]),
        "unknown values have no <data>"
    );

    let edges: Vec<_> = graph
        .children()
        .filter(|n| n.has_tag_name((GRAPHML_NS, "edge")))
        .collect();
    assert_eq!(edges.len(), view.edges.len());
    for (edge, expected) in edges.iter().zip(&view.edges) {
        assert_eq!(edge.attribute("source"), Some(expected.source));
        assert_eq!(edge.attribute("target"), Some(expected.target));
        let data = data(*edge);
        assert_eq!(data["status"], expected.status.as_str());
        assert_eq!(
            data.get("cross_region").map(String::as_str),
            expected
                .cross_region
                .map(|c| if c { "true" } else { "false" })
        );
    }
}

#[test]
fn xml_escaping_survives_every_special_and_control_character() {
    // Every character XML treats specially, whitespace that attribute
    // normalisation would otherwise change, and forbidden control characters.
    let nasty = "<&>\"'\t\n\r\u{0}\u{1}\u{8}\u{B}\u{C}\u{1F}\u{7F}\u{85}\u{FFFE}\u{FFFF}]]>-->end";
    let node =
        NodeView::new(nasty, Role::Primary, nasty).located(Some(nasty), Some(nasty), Some(nasty));
    let dr = NodeView::new("z", Role::Dr, nasty);
    let v = view(vec![node, dr], &[(nasty, "z", EdgeStatus::Confirmed)]);
    let visible = xml_visible(nasty);
    assert_eq!(
        visible,
        "<&>\"'\t\n\r\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{7F}\u{85}\u{FFFD}\u{FFFD}]]>-->end"
    );

    let graphml = export::graphml(&v);
    let doc = roxmltree::Document::parse(&graphml).expect("GraphML is well-formed");
    let node = doc
        .descendants()
        .find(|n| n.has_tag_name((GRAPHML_NS, "node")))
        .unwrap();
    assert_eq!(node.attribute("id"), Some(visible.as_str()));
    for d in node
        .children()
        .filter(|n| n.has_tag_name((GRAPHML_NS, "data")))
    {
        assert_eq!(
            d.text(),
            Some(if d.attribute("key") == Some("role") {
                "primary"
            } else {
                visible.as_str()
            })
        );
    }
    let edge = doc
        .descendants()
        .find(|n| n.has_tag_name((GRAPHML_NS, "edge")))
        .unwrap();
    assert_eq!(edge.attribute("source"), Some(visible.as_str()));

    let svg = export::svg(&v);
    let doc = roxmltree::Document::parse(&svg).expect("SVG is well-formed");
    let data_ids: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.attribute("data-id"))
        .collect();
    assert_eq!(data_ids, [visible.as_str(), "z"]);
}

#[test]
fn svg_has_one_node_element_per_instance_and_one_path_per_edge() {
    let view = fleet();
    let text = export::svg(&view);
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let root = doc.root_element();
    assert!(root.has_tag_name((SVG_NS, "svg")));
    let width: f64 = root.attribute("width").unwrap().parse().unwrap();
    let height: f64 = root.attribute("height").unwrap().parse().unwrap();
    assert_eq!(
        root.attribute("viewBox"),
        Some(format!("0 0 {width} {height}").as_str())
    );

    let has_class = |n: &roxmltree::Node<'_, '_>, class: &str| {
        n.attribute("class")
            .is_some_and(|c| c.split(' ').any(|c| c == class))
    };
    let nodes: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name((SVG_NS, "g")) && has_class(n, "node"))
        .collect();
    let got: Vec<&str> = nodes
        .iter()
        .map(|n| n.attribute("data-id").unwrap())
        .collect();
    assert_eq!(got, ids(&view));

    let mut boxes = Vec::new();
    for node in &nodes {
        let rect = node
            .children()
            .find(|n| n.has_tag_name((SVG_NS, "rect")))
            .unwrap();
        let num = |a| rect.attribute(a).unwrap().parse::<f64>().unwrap();
        let (x, y, w, h) = (num("x"), num("y"), num("width"), num("height"));
        assert!(
            x >= 0.0 && y >= 0.0 && x + w <= width && y + h <= height,
            "box inside the picture"
        );
        boxes.push((node.attribute("data-id").unwrap(), x, y, w, h));
        let title = node
            .children()
            .find(|n| n.has_tag_name((SVG_NS, "title")))
            .unwrap();
        assert!(
            title
                .text()
                .unwrap()
                .starts_with(node.attribute("data-id").unwrap())
        );
        assert_eq!(
            node.children()
                .filter(|n| n.has_tag_name((SVG_NS, "text")))
                .count(),
            3
        );
    }
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            let apart =
                a.1 + a.3 <= b.1 || b.1 + b.3 <= a.1 || a.2 + a.4 <= b.2 || b.2 + b.4 <= a.2;
            assert!(apart, "{} and {} overlap", a.0, b.0);
        }
    }
    let y_of = |id: &str| boxes.iter().find(|b| b.0 == id).unwrap().2;
    assert!(y_of(A) < y_of(export_support::A1), "primary above its DR");
    assert!(
        y_of(export_support::A1) < y_of(export_support::A11),
        "cascaded DR one layer further down"
    );
    assert!(y_of(B) < y_of(B1));

    let edges: Vec<_> = doc
        .descendants()
        .filter(|n| {
            n.has_tag_name((SVG_NS, "path"))
                && has_class(n, "edge")
                && n.attribute("data-source").is_some()
        })
        .collect();
    assert_eq!(edges.len(), view.edges.len());
    for (path, expected) in edges.iter().zip(&view.edges) {
        assert_eq!(path.attribute("data-source"), Some(expected.source));
        assert_eq!(path.attribute("data-target"), Some(expected.target));
        assert_eq!(
            path.attribute("data-status"),
            Some(expected.status.as_str())
        );
        let marker = path.attribute("marker-end").unwrap();
        let id = marker.trim_start_matches("url(#").trim_end_matches(')');
        assert!(
            doc.descendants()
                .any(|n| n.has_tag_name((SVG_NS, "marker")) && n.attribute("id") == Some(id)),
            "{marker} defined"
        );
    }
    let classes: BTreeSet<&str> = edges
        .iter()
        .map(|p| p.attribute("class").unwrap())
        .collect();
    assert_eq!(
        classes,
        BTreeSet::from(["edge confirmed", "edge one-sided", "edge unverified"])
    );
    // The legend names every region.
    let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    for region in ["ap-southeast-1", "cn-north-4", "la-south-2", "unknown"] {
        assert!(texts.contains(&region), "legend lacks {region}");
    }
}

#[test]
fn dot_is_balanced_and_names_every_instance() {
    let view = fleet();
    let text = export::dot(&view);
    assert!(text.starts_with("digraph "));
    let strings = dot_strings(&text).expect("lexes");
    for node in &view.nodes {
        assert!(
            strings.contains(&dot_visible(node.id)),
            "{:?} missing",
            node.id
        );
    }
    assert!(
        strings.contains(&format!("{ODD}\ndr")),
        "label is id and role"
    );
    assert!(strings.contains(&"Ops \"blue\" & <green>\nline2\u{FFFD}".to_owned()));
    // One cluster per known region, none for the unknown one.
    assert_eq!(text.matches("subgraph cluster_").count(), 6);
    let unknown_line = text
        .lines()
        .find(|l| l.contains(&format!("\"{B1}\" [label")))
        .unwrap();
    assert!(
        unknown_line.starts_with("  \""),
        "unknown region outside every cluster"
    );
    assert!(!unknown_line.contains("region="));
    // Edge styles by status.
    let edge_line = |s: &str, t: &str| {
        text.lines()
            .find(|l| l.contains(&format!("\"{s}\" -> \"{t}\"")))
            .unwrap()
            .to_owned()
    };
    assert!(edge_line(A, export_support::A1).contains("style=solid"));
    assert!(edge_line(A, export_support::A2).contains("style=dashed"));
    assert!(edge_line(B, X).contains("style=dashed"));
    assert!(edge_line(B, B1).contains("style=dotted"));
    assert!(!edge_line(B, B1).contains("cross_region"));
}

#[test]
fn mermaid_uses_generated_ids_and_quoted_labels() {
    let view = fleet();
    let text = export::mermaid(&view);
    assert_eq!(text.lines().next(), Some("flowchart LR"));
    for (i, node) in view.nodes.iter().enumerate() {
        let prefix = format!("n{i}[\"");
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&prefix))
            .unwrap();
        let label = line
            .trim_start()
            .strip_prefix(&prefix)
            .unwrap()
            .strip_suffix("\"]")
            .unwrap();
        assert!(!label.contains('"'), "{label}");
        assert!(label.ends_with(&format!("<br/>{}", node.role)));
    }
    assert!(text.contains("n8[\"odd#quot;#lt;#amp;#gt;'\\id#35;#96;<br/>dr\"]"));
    assert_eq!(text.matches("subgraph ").count(), 6);
    assert_eq!(text.matches("\n  end\n").count(), 6);
    for status in ["confirmed", "primary-only", "dr-only", "unverified"] {
        assert!(text.contains(&format!("|{status}|")));
    }
}

#[test]
fn edges_to_unknown_nodes_are_skipped_everywhere() {
    let mut v = fleet();
    v.edges.push(rds_dr_topology::view::EdgeView::new(
        A,
        "not-a-node",
        EdgeStatus::Confirmed,
        None,
    ));
    let clean = fleet();
    for format in export::Format::ALL {
        assert_eq!(
            export::export(&v, format),
            export::export(&clean, format),
            "{format}"
        );
    }
}

#[test]
fn an_empty_view_exports_valid_empty_documents() {
    let v = GraphView::default();
    let json: Value = serde_json::from_str(&export::node_link(&v)).unwrap();
    assert_eq!(json["nodes"], json!([]));
    let json: Value = serde_json::from_str(&export::cytoscape(&v)).unwrap();
    assert_eq!(json["elements"]["edges"], json!([]));
    roxmltree::Document::parse(&export::graphml(&v)).unwrap();
    roxmltree::Document::parse(&export::svg(&v)).unwrap();
    let dot = export::dot(&v);
    dot_strings(&dot).unwrap();
    assert!(!dot.contains("->") && !dot.contains("subgraph"), "{dot}");
    assert_eq!(export::mermaid(&v), "flowchart LR\n");
}
