//! The hand-built fleet the export and render tests share, and checks that
//! read exports back without using the crate's own escapers.
#![allow(dead_code)]

use rds_dr_topology::view::{EdgeStatus, EdgeView, GraphView, NodeView, Role};

pub const A: &str = "0a1b2c3d4e5f40718293a4b5c6d7e8f9in03";
pub const A1: &str = "1b2c3d4e5f6a40718293a4b5c6d7e8f9in03";
pub const A11: &str = "2c3d4e5f6a7b40718293a4b5c6d7e8f9in03";
pub const A2: &str = "3d4e5f6a7b8c40718293a4b5c6d7e8f9in03";
pub const X: &str = "5f6a7b8c9d0e40718293a4b5c6d7e8f9in03";
pub const B: &str = "9f8e7d6c5b4a43218765fedcba987654in01";
pub const B1: &str = "ab12cd34ef5640718293a4b5c6d7e8f9in01";
pub const S: &str = "c0ffee00c0ffee00c0ffee00c0ffee00in07";
/// An instance id with every character DOT, XML or Mermaid must escape.
pub const ODD: &str = "odd\"<&>'\\id#`";

const P1: &str = "0483b6b16e954cb88930a360d2c4e663";
const P2: &str = "1e9a3e5b77c44f0c8a1f0b5f4a0e6d21";
const P3: &str = "5c1d6f2e8b9a4c3d9e0f1a2b3c4d5e6f";
const P4: &str = "9d8c7b6a5f4e4d3c2b1a0f9e8d7c6b5a";
const P5: &str = "77aa0c1f3e8b4d2c9a6f5e4d3c2b1a09";
/// A project name with markup, quotes, a newline and a control character.
pub const ODD_NAME: &str = "Ops \"blue\" & <green>\nline2\u{7}";

fn node<'a>(
    id: &'a str,
    region: Option<&'a str>,
    project_id: Option<&'a str>,
    project_name: Option<&'a str>,
    role: Role,
    group: &'a str,
) -> NodeView<'a> {
    NodeView::new(id, role, group).located(region, project_id, project_name)
}

/// Sorts nodes and edges as a `GraphView` promises and fills `cross_region`
/// from the two ends' regions.
pub fn view<'a>(
    mut nodes: Vec<NodeView<'a>>,
    edges: &[(&'a str, &'a str, EdgeStatus)],
) -> GraphView<'a> {
    nodes.sort_by(|a, b| a.id.cmp(b.id));
    let region = |id: &str| nodes.iter().find(|n| n.id == id).and_then(|n| n.region);
    let mut edges: Vec<EdgeView<'a>> = edges
        .iter()
        .map(|&(source, target, status)| {
            let cross_region = match (region(source), region(target)) {
                (Some(a), Some(b)) => Some(a != b),
                _ => None,
            };
            EdgeView::new(source, target, status, cross_region)
        })
        .collect();
    edges.sort_by(|a, b| (a.source, a.target).cmp(&(b.source, b.target)));
    GraphView::new(nodes, edges)
}

/// Nine instances: group A (A -> A1 -> A11 cascade, A -> A2 in the same
/// region, A -> X), group B (B -> X: X has two primaries, B -> B1 with an
/// unknown region, B -> ODD with odd characters), and a standalone S.
/// Statuses: confirmed, primary-only, dr-only and unverified all occur.
pub fn fleet() -> GraphView<'static> {
    use EdgeStatus::*;
    use Role::*;
    view(
        vec![
            node(A, Some("cn-north-4"), Some(P1), Some("prod-cn"), Primary, A),
            node(
                A1,
                Some("ap-southeast-1"),
                Some(P2),
                Some("prod-ap"),
                Cascaded,
                A,
            ),
            node(A11, Some("ap-southeast-3"), Some(P3), None, Dr, A),
            node(A2, Some("cn-north-4"), Some(P1), Some("prod-cn"), Dr, A),
            node(X, Some("cn-south-1"), Some(P1), Some("prod-cn"), Dr, A),
            node(B, Some("cn-east-3"), Some(P4), Some("ops"), Primary, B),
            node(B1, None, None, None, Dr, B),
            node(ODD, Some("ap-southeast-1"), Some(P4), Some(ODD_NAME), Dr, B),
            node(S, Some("la-south-2"), Some(P5), None, Standalone, S),
        ],
        &[
            (A, A1, Confirmed),
            (A, A2, PrimaryOnly),
            (A, X, Confirmed),
            (A1, A11, Unverified),
            (B, X, DrOnly),
            (B, B1, Unverified),
            (B, ODD, Confirmed),
        ],
    )
}

/// What XML can carry of `s`: characters XML 1.0 forbids become U+FFFD.
pub fn xml_visible(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// What DOT carries of `s`: control characters other than tab, newline and
/// carriage return become U+FFFD.
pub fn dot_visible(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && !matches!(c, '\t' | '\n' | '\r') {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// What a terminal rendering shows of `s`.
pub fn text_visible(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

/// A small DOT lexer: checks that quotes close and braces balance outside
/// quoted strings, and returns every quoted string, unescaped (`\"`, `\\`,
/// `\n`, `\r`; any other escape kept as written).
pub fn dot_strings(dot: &str) -> Result<Vec<String>, String> {
    let mut strings = Vec::new();
    let mut depth: i64 = 0;
    let mut chars = dot.chars();
    while let Some(c) = chars.next() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth < 0 {
                    return Err("unbalanced '}'".into());
                }
            }
            '"' => {
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => return Err("unterminated string".into()),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some('"') => s.push('"'),
                            Some('\\') => s.push('\\'),
                            Some('n') => s.push('\n'),
                            Some('r') => s.push('\r'),
                            Some(other) => {
                                s.push('\\');
                                s.push(other);
                            }
                            None => return Err("unterminated escape".into()),
                        },
                        Some(other) => s.push(other),
                    }
                }
                strings.push(s);
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(format!("{depth} unclosed '{{'"));
    }
    Ok(strings)
}

pub const REGIONS: [&str; 8] = [
    "ap-southeast-1",
    "ap-southeast-3",
    "cn-east-3",
    "cn-north-4",
    "cn-south-1",
    "la-south-2",
    "af-south-1",
    "eu-west-101",
];

/// Instance ids for [`big_fleet`]: 36 characters, as real ones.
pub fn big_ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{i:032x}in03")).collect()
}

/// A fleet of `ids.len()` instances in repeating shapes: a primary with two
/// DRs, one of them cascaded to a third; a primary with one DR; a
/// standalone. Regions cycle; every 11th edge is unverified, every 13th
/// one-sided.
pub fn big_fleet(ids: &[String]) -> GraphView<'_> {
    let mut nodes = Vec::with_capacity(ids.len());
    let mut edges = Vec::new();
    let mut i = 0;
    let edge_status = |k: usize| match k {
        k if k % 11 == 0 => EdgeStatus::Unverified,
        k if k % 13 == 0 => EdgeStatus::PrimaryOnly,
        _ => EdgeStatus::Confirmed,
    };
    let mut k = 0;
    while i < ids.len() {
        let shape: &[(Role, Option<usize>)] = match (i / 7) % 3 {
            0 => &[
                (Role::Primary, None),
                (Role::Cascaded, Some(0)),
                (Role::Dr, Some(0)),
                (Role::Dr, Some(1)),
            ],
            1 => &[(Role::Primary, None), (Role::Dr, Some(0))],
            _ => &[(Role::Standalone, None)],
        };
        let root = i;
        for (offset, &(role, parent)) in shape.iter().enumerate() {
            let Some(id) = ids.get(root + offset) else {
                break;
            };
            let region = REGIONS[(root + offset) % REGIONS.len()];
            nodes.push(NodeView::new(id, role, &ids[root]).located(
                Some(region),
                Some("0483b6b16e954cb88930a360d2c4e663"),
                None,
            ));
            if let Some(parent) = parent {
                k += 1;
                edges.push((ids[root + parent].as_str(), id.as_str(), edge_status(k)));
            }
            i += 1;
        }
    }
    view(nodes, &edges)
}
