//! Exports of a [`GraphView`] to graph file formats: DOT, Mermaid, GraphML,
//! networkx node-link JSON, Cytoscape.js JSON, and an SVG picture.
//!
//! Every format uses the instance id as the stable node id, keeps the view's
//! order (nodes sorted by id, edges by (source, target)), and carries the
//! same attributes: `id, region, project_id, project_name, role, group` on
//! nodes and `source, target, status, cross_region` on edges. Output is
//! deterministic: the same view gives the same bytes.
//!
//! Missing values (a region, project id or project name no source stated, or
//! `cross_region` when a region is unknown) are written per format as a
//! reader of that format expects:
//!
//! | format | missing value |
//! |---|---|
//! | `node-link`, `cytoscape` | JSON `null` (every key is always present) |
//! | `graphml` | the `<data>` element is omitted (GraphML's "no value") |
//! | `dot` | the attribute is omitted; the label says `region unknown` |
//! | `mermaid` | not shown (labels carry only id and role) |
//! | `svg` | shown as `region unknown`; unknown-region boxes are white and dashed |
//!
//! Characters a format cannot carry are handled by that format's escaper:
//! XML (GraphML, SVG) escapes `& < > " '` and writes tab, newline and
//! carriage return as character references; the other C0 control characters
//! and U+FFFE/U+FFFF, which XML 1.0 forbids even as references, become
//! U+FFFD. DOT escapes `"` and `\` with a backslash and writes newline and
//! carriage return as `\n`/`\r`; Mermaid uses its `#quot;`-style entity
//! codes. Both replace other control characters with U+FFFD. JSON carries
//! every string exactly.
//!
//! An edge whose source or target is not a node of the view is skipped by
//! every format (a view made by [`Topology`](crate::Topology) never has one).
//!
//! ```
//! use rds_dr_topology::export::{self, Format};
//! use rds_dr_topology::view::{EdgeStatus, EdgeView, GraphView, NodeView, Role};
//!
//! let node = |id, role| NodeView::new(id, role, "p1").located(Some("cn-north-4"), None, None);
//! let view = GraphView::new(
//!     vec![node("d1", Role::Dr), node("p1", Role::Primary)],
//!     vec![EdgeView::new("p1", "d1", EdgeStatus::Confirmed, Some(false))],
//! );
//! let format: Format = "node-link".parse()?;
//! let json: serde_json::Value = serde_json::from_str(&export::export(&view, format))?;
//! assert_eq!(json["nodes"][1]["id"], "p1");
//! assert_eq!(json["links"], json["edges"]);
//! assert_eq!(json["edges"][0]["status"], "confirmed");
//! assert!(export::dot(&view).contains("\"p1\" -> \"d1\""));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::error::Error;
use std::fmt;
use std::str::FromStr;

use crate::view::{EdgeView, GraphView};

mod dot;
mod escape;
mod graphml;
pub(crate) mod health;
mod json;
mod mermaid;
mod svg;

pub use dot::{dot, write_dot};
pub use graphml::{graphml, write_graphml};
pub use json::{cytoscape, node_link, write_cytoscape, write_node_link};
pub use mermaid::{mermaid, write_mermaid};
pub use svg::{svg, write_svg};

pub(crate) use escape::sanitize_text;

/// An export format, named as on the command line (`rds-dr export --format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Format {
    /// Graphviz DOT (`dot`).
    Dot,
    /// Mermaid flowchart (`mermaid`).
    Mermaid,
    /// GraphML XML (`graphml`).
    GraphMl,
    /// networkx node-link JSON (`node-link`).
    NodeLink,
    /// Cytoscape.js elements JSON (`cytoscape`).
    Cytoscape,
    /// A rendered SVG picture (`svg`).
    Svg,
}

impl Format {
    /// Every format, in the order the CLI lists them.
    pub const ALL: [Format; 6] = [
        Format::Dot,
        Format::Mermaid,
        Format::GraphMl,
        Format::NodeLink,
        Format::Cytoscape,
        Format::Svg,
    ];

    /// The CLI name: `dot`, `mermaid`, `graphml`, `node-link`, `cytoscape`, `svg`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Dot => "dot",
            Format::Mermaid => "mermaid",
            Format::GraphMl => "graphml",
            Format::NodeLink => "node-link",
            Format::Cytoscape => "cytoscape",
            Format::Svg => "svg",
        }
    }

    /// The usual file extension, without the dot (`dot`, `mmd`, `graphml`,
    /// `json`, `json`, `svg`).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Dot => "dot",
            Format::Mermaid => "mmd",
            Format::GraphMl => "graphml",
            Format::NodeLink | Format::Cytoscape => "json",
            Format::Svg => "svg",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = ParseFormatError;

    /// Accepts exactly the CLI names (see [`Format::as_str`]).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|format| format.as_str() == s)
            .ok_or_else(|| ParseFormatError {
                input: s.to_owned(),
            })
    }
}

/// The error of parsing a [`Format`] from an unknown name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseFormatError {
    input: String,
}

impl ParseFormatError {
    /// The name that was not recognised.
    pub fn input(&self) -> &str {
        &self.input
    }
}

impl fmt::Display for ParseFormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown export format {:?}; expected one of: ",
            self.input
        )?;
        for (i, format) in Format::ALL.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(format.as_str())?;
        }
        Ok(())
    }
}

impl Error for ParseFormatError {}

/// Exports `view` in `format`.
pub fn export(view: &GraphView<'_>, format: Format) -> String {
    let mut out = String::new();
    // Writing into a String never fails.
    write(view, format, &mut out).expect("writing to a String cannot fail");
    out
}

/// Writes `view` in `format` into `out`; fails only if `out` fails.
pub fn write(view: &GraphView<'_>, format: Format, out: &mut impl fmt::Write) -> fmt::Result {
    match format {
        Format::Dot => write_dot(view, out),
        Format::Mermaid => write_mermaid(view, out),
        Format::GraphMl => write_graphml(view, out),
        Format::NodeLink => write_node_link(view, out),
        Format::Cytoscape => write_cytoscape(view, out),
        Format::Svg => write_svg(view, out),
    }
}

/// Node positions by instance id. Built once per export; robust to an
/// unsorted view (a duplicate id keeps its first position).
pub(crate) struct NodeIndex<'v> {
    map: HashMap<&'v str, usize>,
}

impl<'v> NodeIndex<'v> {
    pub(crate) fn new(view: &'v GraphView<'_>) -> Self {
        let mut map = HashMap::with_capacity(view.nodes.len());
        for (i, node) in view.nodes.iter().enumerate() {
            map.entry(node.id).or_insert(i);
        }
        NodeIndex { map }
    }

    pub(crate) fn get(&self, id: &str) -> Option<usize> {
        self.map.get(id).copied()
    }

    /// The view's edges whose two ends are nodes, with their node positions.
    pub(crate) fn edges<'e, 'a>(
        &'e self,
        view: &'e GraphView<'a>,
    ) -> impl Iterator<Item = (usize, usize, &'e EdgeView<'a>)> + 'e {
        view.edges
            .iter()
            .filter_map(|edge| Some((self.get(edge.source)?, self.get(edge.target)?, edge)))
    }
}

/// Writes into a String; used by the per-format `String` functions.
pub(crate) fn to_string(f: impl FnOnce(&mut String) -> fmt::Result) -> String {
    let mut out = String::new();
    f(&mut out).expect("writing to a String cannot fail");
    out
}
