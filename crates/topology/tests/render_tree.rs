//! The tree and table on shapes the fleet snapshot lacks: an instance with
//! two primaries and DRs of its own, cycles, self-relations, empty views,
//! terminal control characters.

mod export_support;

use export_support::view;
use rds_dr_topology::render;
use rds_dr_topology::view::{EdgeStatus, GraphView, NodeView, Role};

fn node<'a>(id: &'a str, region: Option<&'a str>, role: Role) -> NodeView<'a> {
    NodeView::new(id, role, id).located(region, None, None)
}

const LEGEND: &str =
    "edges: [+] confirmed  [-] one-sided (primary-only, dr-only)  [?] unverified\n\n";

fn check_tree(v: &GraphView<'_>, summary: &str, expected: &[&str]) {
    let mut want = format!("{summary}\n{LEGEND}");
    for line in expected {
        want.push_str(line);
        want.push('\n');
    }
    assert_eq!(render::tree(v), want);
}

#[test]
fn an_instance_with_two_primaries_appears_under_each() {
    use EdgeStatus::*;
    let v = view(
        vec![
            node("a", Some("r1"), Role::Primary),
            node("b", Some("r1"), Role::Primary),
            node("x", Some("r2"), Role::Cascaded),
            node("y", Some("r3"), Role::Dr),
        ],
        &[
            ("a", "x", Confirmed),
            ("b", "x", DrOnly),
            ("x", "y", Confirmed),
        ],
    );
    check_tree(
        &v,
        "instances: 4, DR edges: 3, groups: 2, standalone: 0",
        &[
            "INSTANCE       REGION  PROJECT  ROLE      HEALTH   NOTE",
            "a              r1      -        primary   -",
            "\\-[+] x        r2      -        cascaded  unknown  2 primaries",
            "      \\-[+] y  r3      -        dr        unknown",
            "",
            "b              r1      -        primary   -",
            "\\-[-] x        r2      -        cascaded  unknown  2 primaries; DRs listed above",
        ],
    );
}

#[test]
fn a_cycle_without_a_root_is_walked_once() {
    use EdgeStatus::*;
    let v = view(
        vec![
            node("p", None, Role::Cascaded),
            node("q", None, Role::Cascaded),
            node("r", None, Role::Cascaded),
        ],
        &[
            ("p", "q", Confirmed),
            ("q", "r", Unverified),
            ("r", "p", PrimaryOnly),
        ],
    );
    check_tree(
        &v,
        "instances: 3, DR edges: 3, groups: 1, standalone: 0",
        &[
            "INSTANCE             REGION  PROJECT  ROLE      HEALTH   NOTE",
            "",
            "cycles:",
            "p                    -       -        cascaded  -",
            "\\-[+] q              -       -        cascaded  unknown",
            "      \\-[?] r        -       -        cascaded  unknown",
            "            \\-[-] p  -       -        cascaded  unknown  cycle",
        ],
    );
}

#[test]
fn a_cycle_below_a_root_and_a_self_relation_end() {
    use EdgeStatus::*;
    let v = view(
        vec![
            node("a", Some("r1"), Role::Primary),
            node("b", Some("r2"), Role::Cascaded),
            node("c", Some("r3"), Role::Cascaded),
            node("d", Some("r1"), Role::Dr),
            node("s", Some("r1"), Role::Primary),
            node("z", Some("r9"), Role::Standalone),
        ],
        &[
            ("a", "b", Confirmed),
            ("a", "d", Confirmed),
            ("b", "c", Confirmed),
            ("c", "b", Confirmed),
            ("s", "s", Unverified),
        ],
    );
    check_tree(
        &v,
        "instances: 6, DR edges: 5, groups: 2, standalone: 1",
        &[
            "INSTANCE             REGION  PROJECT  ROLE        HEALTH   NOTE",
            "a                    r1      -        primary     -",
            "+-[+] b              r2      -        cascaded    unknown  2 primaries",
            "|     \\-[+] c        r3      -        cascaded    unknown",
            "|           \\-[+] b  r2      -        cascaded    unknown  2 primaries; cycle",
            "\\-[+] d              r1      -        dr          unknown",
            "",
            "cycles:",
            "s                    r1      -        primary     -",
            "\\-[?] s              r1      -        primary     unknown  cycle",
            "",
            "standalone:",
            "z                    r9      -        standalone  -",
        ],
    );
}

#[test]
fn empty_and_standalone_only_views() {
    check_tree(
        &GraphView::default(),
        "instances: 0, DR edges: 0, groups: 0, standalone: 0",
        &["INSTANCE  REGION  PROJECT  ROLE  HEALTH  NOTE"],
    );
    let v = view(vec![node("solo", None, Role::Standalone)], &[]);
    check_tree(
        &v,
        "instances: 1, DR edges: 0, groups: 0, standalone: 1",
        &[
            "INSTANCE     REGION  PROJECT  ROLE        HEALTH  NOTE",
            "standalone:",
            "solo         -       -        standalone  -",
        ],
    );
    assert_eq!(
        render::table(&GraphView::default()),
        "instances: 0, DR edges: 0\nINSTANCE  REGION  PROJECT_ID  PROJECT_NAME  ROLE  GROUP  DRS  HEALTH\n"
    );
}

#[test]
fn terminal_control_characters_are_neutralised() {
    let evil = "i\u{1b}]0;owned\u{7}d\u{1b}[2J\r\n";
    let v = view(
        vec![
            NodeView::new(evil, Role::Primary, evil).located(
                Some("r\u{9b}1"),
                Some("p\u{0}"),
                Some("n\u{8}"),
            ),
            node("x", None, Role::Dr),
        ],
        &[(evil, "x", EdgeStatus::Confirmed)],
    );
    for text in [render::tree(&v), render::table(&v)] {
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        assert!(text.contains("i\u{FFFD}]0;owned\u{FFFD}d\u{FFFD}[2J\u{FFFD}\u{FFFD}"));
        assert!(text.contains("r\u{FFFD}1"));
    }
    assert!(render::table(&v).contains("n\u{FFFD}"));
}

#[test]
fn table_counts_drs() {
    use EdgeStatus::*;
    let v = view(
        vec![
            node("a", Some("r1"), Role::Primary),
            node("b", Some("r2"), Role::Cascaded),
            node("c", None, Role::Dr),
        ],
        &[("a", "b", Confirmed), ("b", "c", Unverified)],
    );
    assert_eq!(
        render::table(&v),
        "instances: 3, DR edges: 2\n\
         INSTANCE  REGION  PROJECT_ID  PROJECT_NAME  ROLE      GROUP  DRS  HEALTH\n\
         a         r1      -           -             primary   a      1    -\n\
         b         r2      -           -             cascaded  b      1    unknown\n\
         c         -       -           -             dr        c      0    unknown\n"
    );
}
