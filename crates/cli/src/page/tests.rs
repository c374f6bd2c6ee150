//! The page: every section, escaping of hostile values, and a policy that
//! allows exactly the inline style and script the page carries.

use rds_dr_model::Capture;
use rds_dr_topology::Topology;
use serde_json::{Value, json};

use super::*;

const PA: &str = "0483b6b16e954cb88930a360d2c4e663";
const PB: &str = "08fd4e669e00d57d2ffec01352c7cb77";

fn cap(region: &str, project: &str, records: Value) -> Capture {
    serde_json::from_value(json!({
        "source": {"region": region, "project_id": project},
        "response": {"instance_dr_relations": records},
    }))
    .expect("test capture")
}

fn build(captures: &[Capture]) -> Topology {
    let mut builder = Topology::builder();
    for c in captures {
        builder.capture(c);
    }
    builder.build()
}

const SCRIPT_PAYLOAD: &str = "<script>window.pwned=1</script>";
const IMG_PAYLOAD: &str = "<img src=x onerror=\"window.pwned=2\">";

/// p1 (cn-north-4) -> d1 (ap-southeast-1) confirmed; p1 -> d2 one-sided; a
/// DR and project names with hostile text.
fn hostile() -> Topology {
    build(&[
        cap(
            "cn-north-4",
            PA,
            json!([{"instance_id": "p1", "slave_instances": [
                {"instance_id": "d1", "region": "ap-southeast-1", "project_id": PB, "project_name": SCRIPT_PAYLOAD},
                {"instance_id": IMG_PAYLOAD, "region": "ap-southeast-1", "project_id": PB, "project_name": IMG_PAYLOAD},
            ]}]),
        ),
        cap(
            "ap-southeast-1",
            PB,
            json!([{"instance_id": "d1", "master_instance":
                {"instance_id": "p1", "region": "cn-north-4", "project_id": PA, "project_name": "bj"}}]),
        ),
    ])
}

fn render_page(topology: &Topology) -> Page {
    render(
        &PageInput::new(topology, "2026-12-06T10:00:00Z")
            .sources(vec![format!("input {SCRIPT_PAYLOAD}")]),
    )
    .expect("renders")
}

/// The text between every `<tag ...>` and `</tag>`.
fn elements<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start..];
        let body_start = after.find('>').expect("tag ends") + 1;
        let body = &after[body_start..];
        let end = body.find(&close).expect("element closes");
        out.push(&body[..end]);
        rest = &body[end..];
    }
    out
}

#[test]
fn hostile_values_are_escaped_everywhere() {
    let page = render_page(&hostile());
    let html = &page.html;
    // The only raw script element is the page's own; no raw img at all.
    assert_eq!(elements(html, "script"), [SCRIPT]);
    assert!(!html.contains("<img"), "an <img> got through");
    assert!(!html.contains("pwned=1</script>"));
    assert!(
        !html.contains("onerror=\"window"),
        "an attribute got through"
    );
    // The text is there, escaped (in the tables and in the picture).
    assert!(
        html.contains("&#60;script&#62;window.pwned=1&#60;/script&#62;")
            || html.contains("&lt;script&gt;window.pwned=1")
    );
    assert!(
        html.matches("pwned=2").count() >= 3,
        "the hostile id shows in findings, edges and picture"
    );
}

#[test]
fn one_row_per_finding_with_its_code() {
    let topology = hostile();
    let page = render_page(&topology);
    let rows: Vec<&str> = page
        .html
        .lines()
        .filter(|l| l.starts_with("<tr data-code="))
        .collect();
    assert_eq!(rows.len(), topology.findings().len());
    for (row, finding) in rows.iter().zip(topology.findings()) {
        assert!(
            row.starts_with(&format!(
                "<tr data-code=\"{}\" data-severity=\"{}\">",
                finding.code, finding.severity
            )),
            "{row}"
        );
    }
    assert!(!topology.findings().is_empty());
}

#[test]
fn the_policy_allows_exactly_the_inline_style_and_script() {
    let page = render_page(&hostile());
    let html = &page.html;
    let scripts = elements(html, "script");
    let styles = elements(html, "style");
    assert_eq!(styles.len(), 2, "the page's style and the picture's");
    let meta_start = html
        .find("<meta http-equiv=\"Content-Security-Policy\" content=\"")
        .expect("meta CSP")
        + 52;
    let meta = &html[meta_start..meta_start + html[meta_start..].find('"').expect("ends")];
    let meta = meta.replace("&#39;", "'").replace("&#x27;", "'");
    for text in scripts {
        assert!(meta.contains(&policy::hash(text)), "script hash in {meta}");
    }
    for text in styles {
        assert!(meta.contains(&policy::hash(text)), "style hash in {meta}");
    }
    assert!(meta.starts_with("default-src 'none'; "), "{meta}");
    assert!(!meta.contains("unsafe"), "{meta}");
    assert_eq!(
        page.content_security_policy,
        format!("{meta}; frame-ancestors 'none'")
    );
    // The hash is the standard one: SHA-256 of "" in base64.
    assert_eq!(
        policy::hash(""),
        "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
    );
}

#[test]
fn sections_show_the_topology() {
    let page = render_page(&hostile());
    let html = &page.html;
    for id in ["summary", "findings", "impact", "picture", "edges"] {
        assert!(html.contains(&format!("<section id=\"{id}\">")), "{id}");
    }
    assert!(
        !html.contains("id=\"freshness\""),
        "no freshness unless asked"
    );
    assert!(!html.contains("http-equiv=\"refresh\""));
    // cn-north-4 has the primary; if it fails, p1 keeps its DRs elsewhere.
    assert!(
        html.contains("<tr data-region=\"cn-north-4\" data-unprotected=\"0\">"),
        "{html}"
    );
    assert!(
        !html.contains("data-region=\"ap-southeast-1\""),
        "no primary there"
    );
    assert!(html.contains("<div class=\"card tone-neutral\" data-card=\"instances\">"));
    assert!(html.contains("<div class=\"value\">3</div>"));
    // The one-sided edge is listed before the confirmed one.
    let one_sided = html
        .find("data-status=\"primary-only\"")
        .expect("one-sided edge");
    let confirmed = html
        .find("data-status=\"confirmed\"")
        .expect("confirmed edge");
    assert!(one_sided < confirmed);
    assert!(html.contains("<time datetime=\"2026-12-06T10:00:00Z\">"));
    assert!(html.contains("<svg "));
    assert!(!html.contains("<?xml"));
    assert!(
        !html.contains("http://") || !html.contains("src=\"http"),
        "nothing loaded"
    );
    for attribute in ["src=\"http", "href=\"http", "@import", "url(http"] {
        assert!(!html.contains(attribute), "{attribute}");
    }
}

#[test]
fn freshness_and_refresh_when_asked() {
    let topology = hostile();
    let input = PageInput::new(&topology, "2026-12-06T10:00:00Z")
        .title("fleet <b>")
        .refresh(Duration::from_secs(30))
        .freshness(vec![
            TargetFreshness {
                region: "cn-north-4".into(),
                project_id: PA.into(),
                operation: "list_dr_relations".into(),
                last_success: Some("2026-12-06T09:59:00Z".into()),
                stale: false,
            },
            TargetFreshness {
                region: "ap-southeast-1".into(),
                project_id: PB.into(),
                operation: "list_dr_relations".into(),
                last_success: None,
                stale: true,
            },
        ]);
    let html = render(&input).expect("renders").html;
    assert!(html.contains("<meta http-equiv=\"refresh\" content=\"30\">"));
    assert!(html.contains("<section id=\"freshness\">"));
    assert_eq!(html.matches("<tr data-stale=").count(), 2);
    assert!(html.contains("<span class=\"stale\">stale</span>"));
    assert!(html.contains("never"));
    assert!(html.contains("<title>fleet &#60;b&#62;</title>"), "{html}");
}

#[test]
fn an_empty_topology_renders() {
    let topology = build(&[]);
    let html = render_page(&topology).html;
    assert!(html.contains("No findings."));
    assert!(html.contains("No region has a primary."));
    assert!(html.contains("Nothing to draw"));
}

#[test]
fn edges_show_their_health_and_unhealthy_ones_come_first() {
    let mut builder = Topology::builder();
    for c in crate::commands::demo::fleet() {
        builder.capture(c);
    }
    for c in crate::commands::demo::infos() {
        builder.infos_capture(c);
    }
    let topology = builder.build();
    let page = render(&PageInput::new(&topology, "2026-12-06T10:00:00Z")).expect("renders");
    let html = &page.html;
    let first_row = html.split("<tr data-source=").nth(1).expect("an edge row");
    assert!(
        first_row.contains("data-health=\"broken\"")
            || first_row.contains("data-status=\"primary-only\""),
        "{first_row}"
    );
    // One table row each (the picture's paths carry the attribute too).
    let rows = |health: &str| {
        html.matches(&format!(
            "data-status=\"confirmed\" data-health=\"{health}\">"
        ))
        .count()
    };
    assert_eq!((rows("broken"), rows("lagging")), (1, 1));
    assert!(html.contains("send 210.5 MB, replay 348.75 MB, delay 95000 ms"));
    assert!(html.contains("data-card=\"health\""));
}
