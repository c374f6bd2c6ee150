//! An SVG picture of the topology, laid out in-process.
//!
//! The layout is a simplified layered (Sugiyama-style) drawing specialised
//! for DR topologies, which are forests with few extra edges:
//!
//! 1. *Blocks*: every instance with no primary and at least one DR starts a
//!    block (its DR group), in id order; a depth-first walk over its DR edges
//!    claims every instance not yet claimed. Instances left over (members of
//!    cycles) start further blocks in id order. Instances without any edge go
//!    to a standalone grid at the bottom.
//! 2. *Layers*: an instance's layer is its depth in that walk, so primaries
//!    sit above their DRs and cascaded DRs below those.
//! 3. *Order and coordinates*: the walk's spanning tree is drawn as a tidy
//!    tree: leaves take consecutive slots in walk order (children sorted by
//!    id), a parent is centred over its first and last child. A tree drawn
//!    this way has no crossings, so there is no crossing-reduction loop to
//!    bound; edges outside the spanning tree (an instance with two primaries,
//!    a cycle) are drawn as they fall.
//! 4. *Packing*: blocks go side by side in rows (shelves) no wider than
//!    `max(widest block, sqrt(2 * total area), 1600 px)`.
//!
//! Everything is linear in nodes plus edges except sorting the region names,
//! and nothing recurses, so a 10,000-deep cascade is as safe as 10,000
//! standalone instances.

use std::collections::BTreeMap;
use std::fmt::{self, Write};

use super::escape::Xml;
use super::{NodeIndex, to_string};
use crate::view::{EdgeStatus, GraphView, NodeView, Role};

const BOX_W: f64 = 188.0;
const BOX_H: f64 = 56.0;
/// Horizontal distance between neighbouring slots.
const COL: f64 = BOX_W + 20.0;
/// Vertical distance between layers.
const ROW: f64 = BOX_H + 50.0;
/// Vertical distance between rows of the standalone grid.
const GRID_ROW: f64 = BOX_H + 16.0;
/// Padding inside a group frame.
const PAD: f64 = 14.0;
/// Height of the label strip at the top of a group frame.
const FRAME_LABEL: f64 = 18.0;
const GROUP_GAP: f64 = 28.0;
const MARGIN: f64 = 20.0;
const MIN_ROW_WIDTH: f64 = 1600.0;
/// Characters that fit on one line of a box (11px monospace).
const BOX_CHARS: usize = 26;
/// Width of one character of 11px monospace text, for the legend.
const CHAR_W: f64 = 6.7;

const PALETTE: [&str; 12] = [
    "#a5d8ff", "#b2f2bb", "#ffec99", "#ffc9c9", "#d0bfff", "#99e9f2", "#ffd8a8", "#eebefa",
    "#c0eb75", "#fcc2d7", "#96f2d7", "#bac8ff",
];

const STYLE: &str = "
    text { font-family: ui-monospace, Menlo, Consolas, 'DejaVu Sans Mono', monospace; font-size: 11px; fill: #212529; }
    .title { font-size: 15px; font-weight: bold; }
    .heading { font-weight: bold; fill: #495057; }
    .id { font-weight: bold; }
    .node rect, .swatch rect { stroke: #495057; stroke-width: 1; }
    .primary rect { stroke: #1c1f23; stroke-width: 2.5; }
    .cascaded rect { stroke: #1c1f23; stroke-width: 1.8; }
    .standalone rect { stroke: #adb5bd; }
    .unknown-region rect { stroke-dasharray: 4 3; }
    .frame { fill: #f8f9fa; stroke: #ced4da; }
    .edge { fill: none; stroke-width: 1.6; }
    .confirmed { stroke: #343a40; }
    .one-sided { stroke: #d9480f; stroke-dasharray: 7 4; }
    .unverified { stroke: #868e96; stroke-dasharray: 2 3; }
    .health-failed { stroke: #a61e4d; stroke-width: 2.6; }
    .health-broken { stroke: #e03131; stroke-width: 2.6; }
    .health-lagging { stroke: #f08c00; stroke-width: 2.6; }
    .health-building { stroke: #1971c2; stroke-width: 2.6; }
    .lag { font-size: 10px; font-weight: bold; }
";

/// The view as an SVG picture, laid out in-process (no Graphviz).
///
/// DR groups stand side by side (wrapping into rows), each in a light frame
/// labelled with its root; primaries are above their DRs, cascaded DRs
/// below those. A box shows the shortened instance id, the region and the
/// role (with the project name if known); its fill colour is its region's
/// (white with a dashed border when unknown), its border the role (thick:
/// primary, medium: cascaded). Edges end in arrowheads and are solid
/// (confirmed), dashed orange (primary-only, dr-only) or dotted grey
/// (unverified); an edge whose replication health needs attention is drawn
/// thicker in its health's colour (failed, broken, lagging, building) with
/// the health and its lag written on it. A legend at the top names the edge
/// styles, the health colours and the region colours. Hovering a box or an
/// edge shows its full attributes (`<title>`).
///
/// Each instance is one `<g class="node ..." data-id="...">`, each edge one
/// `<path class="edge ..." data-source=".." data-target=".." data-status=".."
/// data-health="..">`.
/// Time and size are linear in the view (see the module docs for the
/// layout), fine for tens of thousands of instances.
pub fn svg(view: &GraphView<'_>) -> String {
    to_string(|out| write_svg(view, out))
}

/// [`svg`] into `out`.
pub fn write_svg(view: &GraphView<'_>, out: &mut impl Write) -> fmt::Result {
    let layout = Layout::new(view);
    let regions = Regions::new(view);
    let legend = Legend::new(view, &layout, &regions);
    let width = (layout.width.max(legend.width) + 2.0 * MARGIN).ceil();
    let height = (legend.height + layout.height + 2.0 * MARGIN).ceil();
    let top = MARGIN + legend.height;

    writeln!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" \
         width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">"
    )?;
    out.write_str("  <title>rds-dr DR topology</title>\n")?;
    writeln!(out, "  <style>{STYLE}  </style>")?;
    out.write_str("  <defs>\n")?;
    for (class, color) in [
        ("confirmed", "#343a40"),
        ("one-sided", "#d9480f"),
        ("unverified", "#868e96"),
    ]
    .into_iter()
    .chain(health_markers())
    {
        writeln!(
            out,
            "    <marker id=\"arrow-{class}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
             markerWidth=\"7\" markerHeight=\"7\" markerUnits=\"userSpaceOnUse\" orient=\"auto\">\
             <path d=\"M0,0 L10,5 L0,10 z\" fill=\"{color}\"/></marker>"
        )?;
    }
    out.write_str("  </defs>\n")?;
    writeln!(
        out,
        "  <rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>"
    )?;

    legend.write(out, &regions)?;

    out.write_str("  <g class=\"frames\">\n")?;
    for frame in &layout.frames {
        let (x, y) = (MARGIN + frame.x, top + frame.y);
        writeln!(
            out,
            "    <rect class=\"frame\" x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" rx=\"8\"/>",
            frame.w, frame.h
        )?;
        let room = ((frame.w - 2.0 * PAD) / CHAR_W) as usize;
        let mut label = format!("{} {}", frame.kind, frame.label);
        if label.chars().count() > room {
            label = fit(&format!("{} {}", frame.kind, short_id(&frame.label)), room);
        }
        writeln!(
            out,
            "    <text class=\"heading\" x=\"{}\" y=\"{}\">{}</text>",
            x + PAD,
            y + 14.0,
            Xml(&label)
        )?;
    }
    if let Some((x, y)) = layout.standalone_heading {
        writeln!(
            out,
            "    <text class=\"heading\" x=\"{}\" y=\"{}\">standalone instances ({})</text>",
            MARGIN + x,
            top + y + 14.0,
            layout.standalone_count
        )?;
    }
    out.write_str("  </g>\n")?;

    let index = NodeIndex::new(view);
    out.write_str("  <g class=\"edges\">\n")?;
    for (s, t, edge) in index.edges(view) {
        let (sx, sy) = layout.pos[s];
        let (tx, ty) = layout.pos[t];
        let (x1, y1) = (MARGIN + sx + BOX_W / 2.0, top + sy + BOX_H);
        let (x2, y2) = (MARGIN + tx + BOX_W / 2.0, top + ty);
        let bend = ((y2 - y1).abs() / 2.0).max(24.0);
        let class = match edge.status {
            EdgeStatus::Confirmed => "confirmed",
            EdgeStatus::PrimaryOnly | EdgeStatus::DrOnly => "one-sided",
            EdgeStatus::Unverified => "unverified",
        };
        let label = super::health::label(edge);
        let (extra, marker) = match label {
            Some(_) => (
                format!(" health-{}", edge.health),
                format!("health-{}", edge.health),
            ),
            None => (String::new(), class.to_owned()),
        };
        writeln!(
            out,
            "    <path class=\"edge {class}{extra}\" marker-end=\"url(#arrow-{marker})\" \
             data-source=\"{src}\" data-target=\"{dst}\" data-status=\"{status}\" data-health=\"{health}\" \
             d=\"M{x1},{y1} C{x1},{c1} {x2},{c2} {x2},{y2}\"><title>{src} -&gt; {dst}: {status}, {health}{lag}</title></path>",
            src = Xml(edge.source),
            dst = Xml(edge.target),
            status = edge.status,
            health = edge.health,
            lag = lag_title(edge),
            c1 = y1 + bend,
            c2 = y2 - bend,
        )?;
        if let (Some(label), Some(colour)) = (label, super::health::colour(edge.health)) {
            writeln!(
                out,
                "    <text class=\"lag\" x=\"{}\" y=\"{}\" fill=\"{colour}\" text-anchor=\"middle\">{}</text>",
                (x1 + x2) / 2.0,
                (y1 + y2) / 2.0 - 3.0,
                Xml(&label)
            )?;
        }
    }
    out.write_str("  </g>\n")?;

    out.write_str("  <g class=\"nodes\">\n")?;
    for (i, node) in view.nodes.iter().enumerate() {
        let (x, y) = layout.pos[i];
        write_node(out, node, MARGIN + x, top + y, &regions)?;
    }
    out.write_str("  </g>\n</svg>\n")
}

/// The arrowheads of the health colours: (`health-NAME`, colour).
fn health_markers() -> impl Iterator<Item = (&'static str, &'static str)> {
    super::health::LEGEND.into_iter().map(|(h, c)| {
        let class = match h {
            crate::health::Health::Failed => "health-failed",
            crate::health::Health::Broken => "health-broken",
            crate::health::Health::Lagging => "health-lagging",
            _ => "health-building",
        };
        (class, c)
    })
}

/// The lags for an edge's hover text, e.g. `; send 1.5 MB, replay 2 MB`.
fn lag_title(edge: &crate::view::EdgeView<'_>) -> String {
    let parts: Vec<String> = [
        ("send", edge.send_lag_mb, "MB"),
        ("replay", edge.replay_lag_mb, "MB"),
        ("delay", edge.replay_delay_ms, "ms"),
    ]
    .into_iter()
    .filter_map(|(name, v, unit)| v.map(|v| format!("{name} {v} {unit}")))
    .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("; {}", parts.join(", "))
    }
}

fn write_node(
    out: &mut impl Write,
    node: &NodeView<'_>,
    x: f64,
    y: f64,
    regions: &Regions<'_>,
) -> fmt::Result {
    let unknown = if node.region.is_none() {
        " unknown-region"
    } else {
        ""
    };
    writeln!(
        out,
        "    <g class=\"node {role}{unknown}\" data-id=\"{id}\">",
        role = node.role,
        id = Xml(node.id)
    )?;
    write!(
        out,
        "      <title>{}\nrole: {}\nregion: ",
        Xml(node.id),
        node.role
    )?;
    write_opt(out, node.region)?;
    out.write_str("\nproject: ")?;
    write_opt(out, node.project_id)?;
    if let Some(name) = node.project_name {
        write!(out, " ({})", Xml(name))?;
    }
    writeln!(out, "\ngroup: {}</title>", Xml(node.group))?;
    writeln!(
        out,
        "      <rect x=\"{x}\" y=\"{y}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"6\" fill=\"{}\"/>",
        regions.color(node.region)
    )?;
    let role_line = match node.project_name {
        Some(name) => format!("{} · {name}", node.role),
        None => node.role.to_string(),
    };
    let lines = [
        ("id", short_id(node.id)),
        (
            "region",
            fit(node.region.unwrap_or("region unknown"), BOX_CHARS),
        ),
        ("role", fit(&role_line, BOX_CHARS)),
    ];
    for (k, (class, text)) in lines.iter().enumerate() {
        writeln!(
            out,
            "      <text class=\"{class}\" x=\"{}\" y=\"{}\">{}</text>",
            x + 8.0,
            y + 17.0 + 15.0 * k as f64,
            Xml(text)
        )?;
    }
    out.write_str("    </g>\n")
}

fn write_opt(out: &mut impl Write, value: Option<&str>) -> fmt::Result {
    match value {
        Some(value) => write!(out, "{}", Xml(value)),
        None => out.write_str("unknown"),
    }
}

/// `s` cut to `max` characters, the last one an ellipsis if cut.
fn fit(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut cut: String = s.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Long ids keep their head and their tail (`fab4e3df67c24…1918in03`); the
/// tail tells engine and a human's last glance apart.
fn short_id(id: &str) -> String {
    let count = id.chars().count();
    if count <= BOX_CHARS - 2 {
        return id.to_owned();
    }
    let head: String = id.chars().take(13).collect();
    let tail: String = id.chars().skip(count - 8).collect();
    format!("{head}…{tail}")
}

/// Region -> fill colour, regions sorted by name.
struct Regions<'a> {
    colors: BTreeMap<&'a str, &'static str>,
    /// Whether some instance has no region.
    unknown: bool,
}

impl<'a> Regions<'a> {
    fn new(view: &GraphView<'a>) -> Self {
        let mut colors: BTreeMap<&'a str, &'static str> = view
            .nodes
            .iter()
            .filter_map(|n| n.region)
            .map(|r| (r, ""))
            .collect();
        for (i, color) in colors.values_mut().enumerate() {
            *color = PALETTE[i % PALETTE.len()];
        }
        Regions {
            colors,
            unknown: view.nodes.iter().any(|n| n.region.is_none()),
        }
    }

    fn color(&self, region: Option<&str>) -> &'static str {
        region
            .and_then(|r| self.colors.get(r).copied())
            .unwrap_or("#ffffff")
    }
}

/// A group frame, in layout coordinates.
struct Frame {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    kind: &'static str,
    label: String,
}

/// Positions (top-left corner of each box, in view order) relative to the
/// layout's origin, below the legend.
struct Layout {
    pos: Vec<(f64, f64)>,
    frames: Vec<Frame>,
    standalone_heading: Option<(f64, f64)>,
    standalone_count: usize,
    groups: usize,
    /// Edges drawn (both ends are nodes).
    edges: usize,
    width: f64,
    height: f64,
}

/// One block before packing: its members with positions relative to the
/// block's content origin, in slots and layers.
struct Block {
    root: usize,
    members: Vec<usize>,
    slots: f64,
    layers: usize,
    cycle: bool,
}

impl Block {
    fn width(&self) -> f64 {
        self.slots * COL - (COL - BOX_W) + 2.0 * PAD
    }

    fn height(&self) -> f64 {
        self.layers as f64 * ROW - (ROW - BOX_H) + 2.0 * PAD + FRAME_LABEL
    }
}

impl Layout {
    fn new(view: &GraphView<'_>) -> Self {
        let n = view.nodes.len();
        let index = NodeIndex::new(view);
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut has_primary = vec![false; n];
        let mut has_edge = vec![false; n];
        let mut edges = 0;
        for (s, t, _) in index.edges(view) {
            edges += 1;
            has_edge[s] = true;
            has_edge[t] = true;
            if s != t {
                children[s].push(t);
                has_primary[t] = true;
            }
        }

        // Slot (x, fractional) and layer (y) of every claimed node.
        let mut slot = vec![0.0_f64; n];
        let mut layer = vec![0_usize; n];
        let mut claimed = vec![false; n];
        let mut first_kid: Vec<Option<usize>> = vec![None; n];
        let mut last_kid: Vec<Option<usize>> = vec![None; n];
        let mut blocks = Vec::new();
        let roots = (0..n).filter(|&i| has_edge[i] && !has_primary[i]);
        let leftovers = (0..n).filter(|&i| has_edge[i]);
        let mut stack: Vec<(usize, usize)> = Vec::new();
        for (root, cycle) in roots
            .map(|i| (i, false))
            .chain(leftovers.map(|i| (i, true)))
        {
            if claimed[root] {
                continue;
            }
            claimed[root] = true;
            layer[root] = 0;
            let mut block = Block {
                root,
                members: vec![root],
                slots: 0.0,
                layers: 1,
                cycle,
            };
            stack.push((root, 0));
            while let Some(top) = stack.last_mut() {
                let (u, k) = *top;
                if let Some(&v) = children[u].get(k) {
                    top.1 += 1;
                    if !claimed[v] {
                        claimed[v] = true;
                        layer[v] = layer[u] + 1;
                        block.layers = block.layers.max(layer[v] + 1);
                        first_kid[u].get_or_insert(v);
                        last_kid[u] = Some(v);
                        block.members.push(v);
                        stack.push((v, 0));
                    }
                } else {
                    stack.pop();
                    slot[u] = match (first_kid[u], last_kid[u]) {
                        (Some(a), Some(b)) => (slot[a] + slot[b]) / 2.0,
                        _ => {
                            block.slots += 1.0;
                            block.slots - 1.0
                        }
                    };
                }
            }
            blocks.push(block);
        }
        let standalone: Vec<usize> = (0..n).filter(|&i| !has_edge[i]).collect();

        // Pack blocks into rows.
        let area: f64 = blocks.iter().map(|b| b.width() * b.height()).sum::<f64>()
            + standalone.len() as f64 * COL * GRID_ROW;
        let widest = blocks.iter().map(Block::width).fold(0.0, f64::max);
        let limit = widest.max((2.0 * area).sqrt()).max(MIN_ROW_WIDTH);

        let mut pos = vec![(0.0, 0.0); n];
        let mut frames = Vec::with_capacity(blocks.len());
        let (mut x, mut y, mut row_h, mut width) = (0.0_f64, 0.0_f64, 0.0_f64, 0.0_f64);
        for block in &blocks {
            let (w, h) = (block.width(), block.height());
            if x > 0.0 && x + w > limit {
                x = 0.0;
                y += row_h + GROUP_GAP;
                row_h = 0.0;
            }
            for &m in &block.members {
                pos[m] = (
                    x + PAD + slot[m] * COL,
                    y + PAD + FRAME_LABEL + layer[m] as f64 * ROW,
                );
            }
            frames.push(Frame {
                x,
                y,
                w,
                h,
                kind: if block.cycle { "cycle" } else { "group" },
                label: view.nodes[block.root].id.to_owned(),
            });
            x += w + GROUP_GAP;
            width = width.max(x - GROUP_GAP);
            row_h = row_h.max(h);
        }
        let mut height = if blocks.is_empty() { 0.0 } else { y + row_h };

        let mut standalone_heading = None;
        if !standalone.is_empty() {
            let heading_y = if blocks.is_empty() {
                0.0
            } else {
                height + GROUP_GAP
            };
            standalone_heading = Some((0.0, heading_y));
            let columns =
                (((limit + COL - BOX_W) / COL).floor() as usize).clamp(1, standalone.len());
            let grid_y = heading_y + FRAME_LABEL + 6.0;
            for (k, &i) in standalone.iter().enumerate() {
                pos[i] = (
                    (k % columns) as f64 * COL,
                    grid_y + (k / columns) as f64 * GRID_ROW,
                );
            }
            let rows = standalone.len().div_ceil(columns);
            width = width.max(columns as f64 * COL - (COL - BOX_W));
            height = grid_y + rows as f64 * GRID_ROW - (GRID_ROW - BOX_H);
        }

        Layout {
            pos,
            frames,
            standalone_heading,
            standalone_count: standalone.len(),
            groups: blocks.len(),
            edges,
            width,
            height,
        }
    }
}

/// The legend above the picture: a title line, the edge styles and roles,
/// and the region colours (wrapped to the picture's width).
struct Legend {
    title: String,
    /// Region swatches: (x, line) per region, in region order.
    swatches: Vec<(f64, usize)>,
    width: f64,
    height: f64,
}

const LEGEND_LINE: f64 = 22.0;
/// Width of the edge and role line of the legend.
const KEY_WIDTH: f64 = 1010.0;

impl Legend {
    fn new(view: &GraphView<'_>, layout: &Layout, regions: &Regions<'_>) -> Self {
        let title = format!(
            "rds-dr DR topology: {} instances, {} edges, {} groups, {} standalone",
            view.nodes.len(),
            layout.edges,
            layout.groups,
            layout.standalone_count
        );
        let limit = layout.width.max(KEY_WIDTH).max(MIN_ROW_WIDTH);
        let mut swatches = Vec::with_capacity(regions.colors.len());
        let mut line = 0;
        let start = ("regions: ".len() as f64 * CHAR_W).round();
        let mut cursor = start;
        let mut width = KEY_WIDTH.max(title.chars().count() as f64 * 8.5);
        for region in regions
            .colors
            .keys()
            .copied()
            .chain(regions.unknown.then_some("unknown"))
        {
            let w = (22.0 + fit(region, 40).chars().count() as f64 * CHAR_W + 16.0).round();
            if cursor > start && cursor + w > limit {
                line += 1;
                cursor = start;
            }
            swatches.push((cursor, line));
            cursor += w;
            width = width.max(cursor);
        }
        Legend {
            title,
            swatches,
            width,
            height: LEGEND_LINE * (4 + line) as f64 + 12.0,
        }
    }

    fn write(&self, out: &mut impl Write, regions: &Regions<'_>) -> fmt::Result {
        let (x0, y0) = (MARGIN, MARGIN);
        out.write_str("  <g class=\"legend\">\n")?;
        writeln!(
            out,
            "    <text class=\"title\" x=\"{x0}\" y=\"{}\">{}</text>",
            y0 + 14.0,
            Xml(&self.title)
        )?;

        let y = y0 + LEGEND_LINE + 14.0;
        writeln!(
            out,
            "    <text class=\"heading\" x=\"{x0}\" y=\"{y}\">edges:</text>"
        )?;
        let mut x = (x0 + 7.0 * CHAR_W).round();
        for (class, label) in [
            ("confirmed", "confirmed"),
            ("one-sided", "one-sided (primary-only, dr-only)"),
            ("unverified", "unverified"),
        ] {
            writeln!(
                out,
                "    <path class=\"edge {class}\" marker-end=\"url(#arrow-{class})\" d=\"M{x},{ly} L{x2},{ly}\"/>",
                ly = y - 4.0,
                x2 = x + 36.0
            )?;
            writeln!(out, "    <text x=\"{}\" y=\"{y}\">{label}</text>", x + 42.0)?;
            x += (42.0 + label.len() as f64 * CHAR_W + 18.0).round();
        }
        writeln!(
            out,
            "    <text class=\"heading\" x=\"{x}\" y=\"{y}\">border:</text>"
        )?;
        x += (8.0 * CHAR_W).round();
        for role in [Role::Primary, Role::Cascaded, Role::Dr, Role::Standalone] {
            writeln!(
                out,
                "    <g class=\"swatch {role}\"><rect x=\"{x}\" y=\"{}\" width=\"22\" height=\"14\" rx=\"3\" fill=\"#ffffff\"/></g>",
                y - 11.0
            )?;
            writeln!(out, "    <text x=\"{}\" y=\"{y}\">{role}</text>", x + 28.0)?;
            x += (28.0 + role.as_str().len() as f64 * CHAR_W + 16.0).round();
        }

        let y = y0 + 2.0 * LEGEND_LINE + 14.0;
        writeln!(
            out,
            "    <text class=\"heading\" x=\"{x0}\" y=\"{y}\">health:</text>"
        )?;
        let mut x = (x0 + 8.0 * CHAR_W).round();
        for (class, _) in health_markers() {
            writeln!(
                out,
                "    <path class=\"edge confirmed {class}\" marker-end=\"url(#arrow-{class})\" d=\"M{x},{ly} L{x2},{ly}\"/>",
                ly = y - 4.0,
                x2 = x + 36.0
            )?;
            let label = &class["health-".len()..];
            writeln!(out, "    <text x=\"{}\" y=\"{y}\">{label}</text>", x + 42.0)?;
            x += (42.0 + label.len() as f64 * CHAR_W + 18.0).round();
        }
        writeln!(
            out,
            "    <text x=\"{x}\" y=\"{y}\">(healthy and unknown edges keep their status style; lag written on the edge)</text>"
        )?;

        let y = y0 + 3.0 * LEGEND_LINE + 14.0;
        writeln!(
            out,
            "    <text class=\"heading\" x=\"{x0}\" y=\"{y}\">regions:</text>"
        )?;
        let unknown = regions
            .unknown
            .then_some(("unknown", "#ffffff", " unknown-region"));
        let names = regions
            .colors
            .iter()
            .map(|(r, c)| (*r, *c, ""))
            .chain(unknown);
        for ((region, color, class), (sx, line)) in names.zip(&self.swatches) {
            let (sx, sy) = (x0 + sx, y + *line as f64 * LEGEND_LINE);
            writeln!(
                out,
                "    <g class=\"swatch{class}\"><rect x=\"{sx}\" y=\"{}\" width=\"16\" height=\"14\" rx=\"3\" fill=\"{color}\"/></g>",
                sy - 11.0
            )?;
            writeln!(
                out,
                "    <text x=\"{}\" y=\"{sy}\">{}</text>",
                sx + 22.0,
                Xml(&fit(region, 40))
            )?;
        }
        out.write_str("  </g>\n")
    }
}
