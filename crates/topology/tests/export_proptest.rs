//! For arbitrary views with odd characters everywhere, every export is
//! well-formed and deterministic, and carries every instance id.

mod export_support;

use std::collections::BTreeMap;

use export_support::{dot_strings, dot_visible, text_visible, xml_visible};
use proptest::prelude::*;
use rds_dr_topology::export::{self, Format};
use rds_dr_topology::render;
use rds_dr_topology::view::{EdgeStatus, EdgeView, GraphView, NodeView, Role};

const SVG_NS: &str = "http://www.w3.org/2000/svg";
const GRAPHML_NS: &str = "http://graphml.graphdrawing.org/xmlns";

/// Characters every syntax treats specially, controls, non-ASCII.
const ALPHABET: &[char] = &[
    'a', 'b', '0', '-', ' ', '"', '\'', '<', '>', '&', '\\', '#', '`', '|', '{', '}', '[', ']',
    ';', '\n', '\r', '\t', '\0', '\u{1}', '\u{1b}', '\u{7f}', '\u{85}', '\u{ffff}', 'é', '中',
    '😀',
];

fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(ALPHABET), 1..max)
        .prop_map(|c| c.into_iter().collect())
}

#[derive(Debug, Clone)]
struct OwnedNode {
    region: Option<String>,
    project_id: Option<String>,
    project_name: Option<String>,
    role: Role,
    group: usize,
}

#[derive(Debug, Clone)]
struct Owned {
    nodes: BTreeMap<String, OwnedNode>,
    edges: BTreeMap<(usize, usize), (EdgeStatus, Option<bool>)>,
}

impl Owned {
    fn view(&self) -> GraphView<'_> {
        let ids: Vec<&str> = self.nodes.keys().map(String::as_str).collect();
        GraphView::new(
            self.nodes
                .iter()
                .map(|(id, n)| {
                    NodeView::new(id, n.role, ids[n.group % ids.len()]).located(
                        n.region.as_deref(),
                        n.project_id.as_deref(),
                        n.project_name.as_deref(),
                    )
                })
                .collect(),
            self.edges
                .iter()
                .map(|(&(s, t), &(status, cross_region))| {
                    EdgeView::new(ids[s], ids[t], status, cross_region)
                })
                .collect(),
        )
    }
}

fn owned() -> impl Strategy<Value = Owned> {
    let node = (
        prop::option::of(prop_oneof![
            Just("cn-north-4".to_owned()),
            Just("ap-southeast-1".to_owned()),
            text(8)
        ]),
        prop::option::of(text(10)),
        prop::option::of(text(10)),
        prop::sample::select(&[Role::Primary, Role::Dr, Role::Cascaded, Role::Standalone][..]),
        any::<usize>(),
    )
        .prop_map(
            |(region, project_id, project_name, role, group)| OwnedNode {
                region,
                project_id,
                project_name,
                role,
                group,
            },
        );
    prop::collection::btree_map(text(10), node, 1..14).prop_flat_map(|nodes| {
        let n = nodes.len();
        let edge = (
            (0..n, 0..n),
            (
                prop::sample::select(
                    &[
                        EdgeStatus::Confirmed,
                        EdgeStatus::PrimaryOnly,
                        EdgeStatus::DrOnly,
                        EdgeStatus::Unverified,
                    ][..],
                ),
                prop::option::of(any::<bool>()),
            ),
        );
        prop::collection::btree_map(edge, Just(()), 0..20).prop_map(move |edges| Owned {
            nodes: nodes.clone(),
            edges: edges.into_keys().collect(),
        })
    })
}

fn has_class(n: &roxmltree::Node<'_, '_>, class: &str) -> bool {
    n.attribute("class")
        .is_some_and(|c| c.split(' ').any(|c| c == class))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_export_is_well_formed_and_deterministic(owned in owned()) {
        let view = owned.view();
        let ids: Vec<&str> = view.nodes.iter().map(|n| n.id).collect();

        for format in Format::ALL {
            prop_assert_eq!(export::export(&view, format), export::export(&view.clone(), format), "{} is deterministic", format);
        }

        // JSON carries ids exactly.
        let json: serde_json::Value = serde_json::from_str(&export::node_link(&view)).unwrap();
        let got: Vec<&str> = json["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).collect();
        prop_assert_eq!(&got, &ids);
        prop_assert_eq!(&json["edges"], &json["links"]);
        prop_assert_eq!(json["edges"].as_array().unwrap().len(), view.edges.len());
        let json: serde_json::Value = serde_json::from_str(&export::cytoscape(&view)).unwrap();
        let got: Vec<&str> = json["elements"]["nodes"].as_array().unwrap().iter().map(|n| n["data"]["id"].as_str().unwrap()).collect();
        prop_assert_eq!(&got, &ids);

        // XML parses with a strict parser; ids survive as XML can carry them.
        let xml_ids: Vec<String> = ids.iter().map(|id| xml_visible(id)).collect();
        let graphml = export::graphml(&view);
        let doc = roxmltree::Document::parse(&graphml).map_err(|e| TestCaseError::fail(format!("graphml: {e}")))?;
        let got: Vec<String> = doc.descendants().filter(|n| n.has_tag_name((GRAPHML_NS, "node"))).map(|n| n.attribute("id").unwrap().to_owned()).collect();
        prop_assert_eq!(&got, &xml_ids);
        prop_assert_eq!(doc.descendants().filter(|n| n.has_tag_name((GRAPHML_NS, "edge"))).count(), view.edges.len());

        let svg = export::svg(&view);
        let doc = roxmltree::Document::parse(&svg).map_err(|e| TestCaseError::fail(format!("svg: {e}")))?;
        let got: Vec<String> = doc.descendants().filter(|n| n.has_tag_name((SVG_NS, "g")) && has_class(n, "node")).map(|n| n.attribute("data-id").unwrap().to_owned()).collect();
        prop_assert_eq!(&got, &xml_ids);
        let edges = doc.descendants().filter(|n| n.has_tag_name((SVG_NS, "path")) && n.attribute("data-source").is_some()).count();
        prop_assert_eq!(edges, view.edges.len());

        // DOT: quotes close, braces balance, every id appears as a quoted string.
        let dot = export::dot(&view);
        let strings = dot_strings(&dot).map_err(TestCaseError::fail)?;
        for id in &ids {
            prop_assert!(strings.contains(&dot_visible(id)), "{:?} not in the DOT", id);
        }
        // An edge line: its first quoted string is followed by ` -> ` (a
        // project name may hold ` -> ` inside a node's attributes).
        prop_assert_eq!(dot.lines().filter(|l| is_dot_edge(l)).count(), view.edges.len());

        // Mermaid: one definition per node, label without a raw quote.
        let mermaid = export::mermaid(&view);
        for i in 0..ids.len() {
            let prefix = format!("n{i}[\"");
            let line = mermaid.lines().map(str::trim_start).find(|l| l.starts_with(&prefix));
            prop_assert!(line.is_some(), "n{} missing", i);
            let label = line.unwrap().strip_prefix(&prefix).unwrap().strip_suffix("\"]");
            prop_assert!(label.is_some_and(|l| !l.contains('"') && !l.contains('\n')));
        }
        prop_assert!(!mermaid.chars().any(|c| c.is_control() && c != '\n'));

        // Text: no control characters reach a terminal; every id is shown.
        for text in [render::tree(&view), render::table(&view)] {
            prop_assert!(!text.chars().any(|c| c.is_control() && c != '\n'));
            for id in &ids {
                prop_assert!(text.contains(&text_visible(id)));
            }
        }
    }
}

/// Whether a DOT line is an edge statement: its first quoted string
/// (escapes honoured) is followed by ` -> `.
fn is_dot_edge(line: &str) -> bool {
    let Some(rest) = line.trim_start().strip_prefix('"') else {
        return false;
    };
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return rest[i + 1..].starts_with(" -> "),
            _ => {}
        }
    }
    false
}
