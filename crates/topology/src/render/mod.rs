//! Plain-text renderings of a [`GraphView`] for `rds-dr topology`: an
//! indented [`tree`] per DR group and a [`table`] with one row per instance.
//!
//! Both are ASCII apart from the data itself, aligned in columns (counted in
//! terminal cells with `unicode-width`, so a Chinese project name, two cells
//! per character, keeps the columns after it aligned), without trailing spaces, and end with a newline. Control
//! characters in the data (which could move a terminal's cursor or change
//! its colours) are shown as U+FFFD. An unknown value is shown as `-`.
//!
//! ```
//! use rds_dr_topology::render;
//! use rds_dr_topology::view::{EdgeStatus, EdgeView, GraphView, NodeView, Role};
//!
//! let node = |id, region, role| {
//!     NodeView::new(id, role, "p1").located(Some(region), Some("0483b6b16e954cb88930a360d2c4e663"), None)
//! };
//! let view = GraphView::new(
//!     vec![node("d1", "ap-southeast-1", Role::Dr), node("p1", "cn-north-4", Role::Primary)],
//!     vec![EdgeView::new("p1", "d1", EdgeStatus::Unverified, Some(true))],
//! );
//! let tree = render::tree(&view);
//! let lines: Vec<&str> = tree.lines().collect();
//! assert_eq!(lines[4], "p1        cn-north-4      0483b6b1  primary  -");
//! assert_eq!(lines[5], "\\-[?] d1  ap-southeast-1  0483b6b1  dr       unknown");
//!
//! let table = render::table(&view);
//! assert!(table.lines().nth(3).unwrap().starts_with("p1        cn-north-4      0483b6b16e954cb88930a360d2c4e663"));
//! ```

use std::fmt::Write;

use unicode_width::UnicodeWidthStr;

use crate::export::{NodeIndex, sanitize_text};
use crate::health::Health;
use crate::view::{EdgeStatus, EdgeView, GraphView, NodeView};

/// Unknown values in text output.
const UNKNOWN: &str = "-";
/// Characters of the project id the tree shows.
const SHORT_PROJECT: usize = 8;

/// The edges of the view as adjacency lists over node positions, edges to
/// unknown nodes dropped.
struct Adjacency {
    /// `(target, status, health text)` per source, in the view's edge order.
    children: Vec<Vec<(usize, EdgeStatus, String)>>,
    /// Number of primaries per node.
    primaries: Vec<usize>,
    /// The worst health of the edges into each node, if any.
    health_in: Vec<Option<(Health, String)>>,
    has_edge: Vec<bool>,
}

/// An edge's health as text: its name, with the largest lag when lagging.
fn health_text(edge: &EdgeView<'_>) -> String {
    crate::export::health::label(edge).unwrap_or_else(|| edge.health.to_string())
}

impl Adjacency {
    fn new(view: &GraphView<'_>) -> Self {
        let n = view.nodes.len();
        let mut adjacency = Adjacency {
            children: vec![Vec::new(); n],
            primaries: vec![0; n],
            health_in: vec![None; n],
            has_edge: vec![false; n],
        };
        let index = NodeIndex::new(view);
        for (s, t, edge) in index.edges(view) {
            let text = health_text(edge);
            let worse = adjacency.health_in[t]
                .as_ref()
                .is_none_or(|(h, _)| edge.health < *h);
            if worse {
                adjacency.health_in[t] = Some((edge.health, text.clone()));
            }
            adjacency.children[s].push((t, edge.status, text));
            adjacency.primaries[t] += 1;
            adjacency.has_edge[s] = true;
            adjacency.has_edge[t] = true;
        }
        adjacency
    }
}

/// Writes rows of cells aligned in columns: every column but the last is
/// padded to its widest cell (in terminal cells) plus two spaces; trailing
/// spaces are trimmed.
fn write_columns(out: &mut String, rows: &[Vec<String>]) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; columns];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cells(cell));
        }
    }
    for row in rows {
        let start = out.len();
        if row.is_empty() {
            out.push('\n');
            continue;
        }
        for (k, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if k + 1 < row.len() {
                let pad = widths[k] - cells(cell) + 2;
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        let trimmed = out[start..].trim_end_matches(' ').len();
        out.truncate(start + trimmed);
        out.push('\n');
    }
}

/// Terminal cells `text` takes: its length when it is ASCII (the usual
/// case, and a fast check), else its `unicode-width` (two for a CJK
/// character). Control characters never get here: the cells are sanitized.
fn cells(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.width()
    }
}

fn opt(value: Option<&str>) -> String {
    value.map_or_else(|| UNKNOWN.to_owned(), sanitize_text)
}

fn short_project(project_id: Option<&str>) -> String {
    match project_id {
        Some(id) => sanitize_text(&id.chars().take(SHORT_PROJECT).collect::<String>()),
        None => UNKNOWN.to_owned(),
    }
}

fn marker(status: EdgeStatus) -> char {
    match status {
        EdgeStatus::Confirmed => '+',
        EdgeStatus::PrimaryOnly | EdgeStatus::DrOnly => '-',
        EdgeStatus::Unverified => '?',
    }
}

/// An indented tree per DR group, in the manner of `orchestrator topology`
/// or `patronictl list`:
///
/// ```text
/// instances: 4, DR edges: 3, groups: 1, standalone: 0
/// edges: [+] confirmed  [-] one-sided (primary-only, dr-only)  [?] unverified
///
/// INSTANCE       REGION          PROJECT   ROLE      HEALTH   NOTE
/// p1             cn-north-4      0483b6b1  primary   -
/// +-[+] c1       ap-southeast-1  0483b6b1  cascaded  healthy
/// |     \-[?] d2  -               -         dr        unknown
/// \-[-] d1       cn-north-4      0483b6b1  dr        lagging 80.0 MB
/// ```
///
/// Groups come in order of their root primary's id, a blank line between
/// them; each root is followed by its DRs (sorted by id), cascaded DRs
/// indented one step further (`+-` for a DR with more siblings after it,
/// `\-` for the last). The bracket shows the edge's status, HEALTH the
/// replication health of the edge into the row's instance (with the
/// largest lag when lagging; `-` on a root). PROJECT is the
/// first 8 characters of the project id. Instances in a cycle with no root
/// come next under `cycles:`, rooted at their smallest id, then instances
/// with no relation under `standalone:`.
///
/// An instance with several primaries appears under each, with the note
/// `N primaries`; its own DRs are listed under the first occurrence only
/// (later ones say `DRs listed above`). An edge back into the current path
/// is shown once with the note `cycle` and not followed, so every walk ends.
pub fn tree(view: &GraphView<'_>) -> String {
    let adjacency = Adjacency::new(view);
    let n = view.nodes.len();
    let cells = |node: &NodeView<'_>, tree: String, health: &str, note: String| {
        vec![
            tree,
            opt(node.region),
            short_project(node.project_id),
            node.role.to_string(),
            health.to_owned(),
            note,
        ]
    };
    let primaries_note = |i: usize| match adjacency.primaries[i] {
        0 | 1 => String::new(),
        k => format!("{k} primaries"),
    };

    let mut rows: Vec<Vec<String>> = vec![vec![
        "INSTANCE".into(),
        "REGION".into(),
        "PROJECT".into(),
        "ROLE".into(),
        "HEALTH".into(),
        "NOTE".into(),
    ]];
    let mut expanded = vec![false; n];
    let mut on_path = vec![false; n];
    let mut groups = 0;
    let roots = (0..n).filter(|&i| adjacency.has_edge[i] && adjacency.primaries[i] == 0);
    let leftovers = (0..n).filter(|&i| adjacency.has_edge[i]);
    let mut cycles_heading = false;
    for (root, in_cycle) in roots
        .map(|i| (i, false))
        .chain(leftovers.map(|i| (i, true)))
    {
        if expanded[root] {
            continue;
        }
        if in_cycle && !std::mem::replace(&mut cycles_heading, true) {
            rows.push(Vec::new());
            rows.push(vec!["cycles:".into()]);
        } else if groups > 0 {
            rows.push(Vec::new());
        }
        groups += 1;
        rows.push(cells(
            &view.nodes[root],
            sanitize_text(view.nodes[root].id),
            UNKNOWN,
            primaries_note(root),
        ));
        expanded[root] = true;
        on_path[root] = true;
        // (node, next child, prefix of its children's lines)
        let mut stack: Vec<(usize, usize, String)> = vec![(root, 0, String::new())];
        while let Some((node, next, prefix)) = stack.last_mut() {
            let Some((child, status, health)) = adjacency.children[*node].get(*next) else {
                on_path[*node] = false;
                stack.pop();
                continue;
            };
            let (child, status) = (*child, *status);
            *next += 1;
            let last = *next == adjacency.children[*node].len();
            let branch = if last { "\\-" } else { "+-" };
            let line = format!(
                "{prefix}{branch}[{}] {}",
                marker(status),
                sanitize_text(view.nodes[child].id)
            );
            let mut notes = vec![primaries_note(child)];
            let expand = if on_path[child] {
                notes.push("cycle".into());
                false
            } else if expanded[child] {
                if !adjacency.children[child].is_empty() {
                    notes.push("DRs listed above".into());
                }
                false
            } else {
                true
            };
            notes.retain(|note| !note.is_empty());
            rows.push(cells(&view.nodes[child], line, health, notes.join("; ")));
            if expand {
                let prefix = format!("{prefix}{}", if last { "      " } else { "|     " });
                expanded[child] = true;
                on_path[child] = true;
                stack.push((child, 0, prefix));
            }
        }
    }
    let standalone: Vec<usize> = (0..n).filter(|&i| !adjacency.has_edge[i]).collect();
    if !standalone.is_empty() {
        if rows.len() > 1 {
            rows.push(Vec::new());
        }
        rows.push(vec!["standalone:".into()]);
        for &i in &standalone {
            rows.push(cells(
                &view.nodes[i],
                sanitize_text(view.nodes[i].id),
                UNKNOWN,
                String::new(),
            ));
        }
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "instances: {}, DR edges: {}, groups: {}, standalone: {}",
        n,
        adjacency.children.iter().map(Vec::len).sum::<usize>(),
        groups,
        standalone.len()
    );
    out.push_str("edges: [+] confirmed  [-] one-sided (primary-only, dr-only)  [?] unverified\n\n");
    write_columns(&mut out, &rows);
    out
}

/// One row per instance, sorted by id: `INSTANCE`, `REGION`, `PROJECT_ID`,
/// `PROJECT_NAME`, `ROLE`, `GROUP` (the root primary), `DRS` (how many
/// DRs it has) and `HEALTH` (the replication health of the edge into it,
/// the worst of several; `-` for an instance that is no DR), aligned,
/// after a one-line summary.
pub fn table(view: &GraphView<'_>) -> String {
    let adjacency = Adjacency::new(view);
    let mut rows: Vec<Vec<String>> = vec![
        [
            "INSTANCE",
            "REGION",
            "PROJECT_ID",
            "PROJECT_NAME",
            "ROLE",
            "GROUP",
            "DRS",
            "HEALTH",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for (i, node) in view.nodes.iter().enumerate() {
        rows.push(vec![
            sanitize_text(node.id),
            opt(node.region),
            opt(node.project_id),
            opt(node.project_name),
            node.role.to_string(),
            sanitize_text(node.group),
            adjacency.children[i].len().to_string(),
            adjacency.health_in[i]
                .as_ref()
                .map_or_else(|| UNKNOWN.to_owned(), |(_, text)| text.clone()),
        ]);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "instances: {}, DR edges: {}",
        view.nodes.len(),
        adjacency.children.iter().map(Vec::len).sum::<usize>()
    );
    write_columns(&mut out, &rows);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_terminal_cells_not_characters() {
        let rows = [
            vec!["A".to_owned(), "NAME".to_owned(), "ROLE".to_owned()],
            vec!["x".to_owned(), "华北四".to_owned(), "dr".to_owned()],
            vec!["y".to_owned(), "sg".to_owned(), "primary".to_owned()],
        ];
        let mut out = String::new();
        write_columns(&mut out, &rows);
        // "华北四" is three characters but six cells wide.
        assert_eq!(out, "A  NAME    ROLE\nx  华北四  dr\ny  sg      primary\n");
    }
}
