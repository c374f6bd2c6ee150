//! The dashboard page: one self-contained HTML document (inline CSS, SVG
//! and a little JS; nothing loaded from the network), written by `rds-dr
//! report -o FILE.html` and served by `serve` at `/`.
//!
//! The page shows the summary cards, the findings table (one
//! `<tr data-code=".." data-severity="..">` per finding; filters by severity
//! and code come with the inline script and follow the URL fragment, e.g.
//! `#severity=error&code=unconfirmed-edge`; without JavaScript every row
//! shows), what each region's failure would leave unprotected, the SVG
//! picture, and every edge (problems first). Optionally each target's
//! freshness and an auto-refresh.
//!
//! Every value goes through the template engine's HTML escaping (askama,
//! `templates/page.html`, checked when the crate compiles); only the CSS,
//! the script and the SVG export (which escapes its own text) are inserted
//! as they are. The page carries its own Content-Security-Policy in a
//! `<meta>` element: no source but its inline style and script, allowed by
//! their SHA-256 hashes ([`Page::content_security_policy`] is the same
//! policy for a response header).

use std::time::Duration;

use askama::Template;
use rds_dr_topology::Topology;

mod policy;
mod sections;

use sections::{Card, EdgeRow, FindingRow, RegionRow};

/// The page's stylesheet, inserted inline.
const STYLE: &str = include_str!("../../templates/page.css");
/// The page's script (the findings filters), inserted inline.
const SCRIPT: &str = include_str!("../../templates/page.js");

/// What a page shows: the topology, and where and when it came from.
#[derive(Clone, Debug)]
pub struct PageInput<'a> {
    topology: &'a Topology,
    title: String,
    generated_at: String,
    sources: Vec<String>,
    freshness: Option<Vec<TargetFreshness>>,
    refresh: Option<Duration>,
}

/// How fresh one target's data is (under `serve`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetFreshness {
    /// The target's region.
    pub region: String,
    /// The target's project id.
    pub project_id: String,
    /// The operation, e.g. `list_dr_relations`.
    pub operation: String,
    /// When the last call succeeded (RFC 3339), if ever.
    pub last_success: Option<String>,
    /// Whether the last call failed, so the data shown is older.
    pub stale: bool,
}

impl<'a> PageInput<'a> {
    /// A page of `topology`, generated at `generated_at` (RFC 3339).
    pub fn new(topology: &'a Topology, generated_at: impl Into<String>) -> Self {
        PageInput {
            topology,
            title: "rds-dr: DR topology".to_owned(),
            generated_at: generated_at.into(),
            sources: Vec::new(),
            freshness: None,
            refresh: None,
        }
    }

    /// The inputs and targets the data came from, one line each.
    pub fn sources(mut self, sources: Vec<String>) -> Self {
        self.sources = sources;
        self
    }

    /// The title (and first heading).
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Adds the freshness section: one row per target and operation.
    pub fn freshness(mut self, targets: Vec<TargetFreshness>) -> Self {
        self.freshness = Some(targets);
        self
    }

    /// Makes the page reload itself this often (whole seconds, at least 1).
    pub fn refresh(mut self, every: Duration) -> Self {
        self.refresh = Some(every);
        self
    }
}

/// A rendered page and the policy it needs.
#[derive(Clone, Debug)]
pub struct Page {
    /// The HTML document.
    pub html: String,
    /// The `Content-Security-Policy` header value for serving it: nothing
    /// from the network, the inline style and script by hash, no framing.
    pub content_security_policy: String,
}

#[derive(Template)]
#[template(path = "page.html")]
struct PageTemplate<'a> {
    title: &'a str,
    version: &'static str,
    csp: &'a str,
    refresh_seconds: Option<u64>,
    generated_at: &'a str,
    sources: &'a [String],
    captured_sources: Vec<String>,
    freshness: Option<&'a [TargetFreshness]>,
    cards: Vec<Card>,
    findings: Vec<FindingRow<'a>>,
    codes: Vec<&'static str>,
    regions: Vec<RegionRow>,
    picture: Option<String>,
    picture_note: String,
    edges: Vec<EdgeRow<'a>>,
    edge_count: usize,
    edges_hidden: usize,
    style: &'static str,
    script: &'static str,
}

/// Renders the page.
pub fn render(input: &PageInput<'_>) -> Result<Page, askama::Error> {
    let topology = input.topology;
    let view = topology.view();
    let (picture, picture_note) = sections::picture(&view);
    let policy = policy::Policy::new(STYLE, SCRIPT, picture.as_deref());
    let meta = policy.for_meta();
    let (edges, edges_hidden) = sections::edges(&view);
    let template = PageTemplate {
        title: &input.title,
        version: env!("CARGO_PKG_VERSION"),
        csp: &meta,
        refresh_seconds: input.refresh.map(|d| d.as_secs().max(1)),
        generated_at: &input.generated_at,
        sources: &input.sources,
        captured_sources: topology.sources().map(|s| s.to_string()).collect(),
        freshness: input.freshness.as_deref(),
        cards: sections::cards(topology, &view),
        findings: sections::findings(topology.findings()),
        codes: sections::codes(topology.findings()),
        regions: sections::regions(topology, &view),
        picture,
        picture_note,
        edges,
        edge_count: view.edges.len(),
        edges_hidden,
        style: STYLE,
        script: SCRIPT,
    };
    Ok(Page {
        html: template.render()?,
        content_security_policy: policy.for_header(),
    })
}

#[cfg(test)]
mod tests;
